"""Durable store of every accepted resource, before anything is sent."""
