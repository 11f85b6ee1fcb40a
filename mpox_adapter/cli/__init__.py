"""The command-line face: `mpox-adapter`."""
