"""StructureDefinition snapshots compiled into trees the validator can walk quickly.

A snapshot is a flat list of ElementDefinitions; validating against it directly would mean
searching that list for every JSON property. We compile it once into `ElementNode`s with the
JSON property names resolved in advance (choice types included: ``valueQuantity`` →
``value[x]`` with type Quantity), slices attached to the element they slice, and everything
the walker checks (cardinality, fixed, pattern, binding, invariants, limits) at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mpox_adapter.validation.primitives import normalise_type

STRUCTURE_DEFINITION_BASE = "http://hl7.org/fhir/StructureDefinition/"


@dataclass(frozen=True, slots=True)
class TypeRef:
    code: str
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Binding:
    strength: str
    value_set: str


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str
    human: str
    expression: str
    source: str


@dataclass(frozen=True, slots=True)
class Discriminator:
    type: str
    path: str


@dataclass(frozen=True, slots=True)
class Slicing:
    discriminators: tuple[Discriminator, ...]
    rules: str
    ordered: bool


@dataclass(eq=False, slots=True)
class ElementNode:
    id: str
    path: str
    name: str
    is_choice: bool
    min: int
    max: int | None
    is_array: bool
    types: tuple[TypeRef, ...]
    profile_url: str
    fixed: Any = None
    pattern: Any = None
    binding: Binding | None = None
    constraints: tuple[Constraint, ...] = ()
    max_length: int | None = None
    min_value: Any = None
    max_value: Any = None
    content_reference: str | None = None
    slice_name: str | None = None
    is_modifier: bool = False
    slicing: Slicing | None = None
    slices: list[ElementNode] = field(default_factory=list)
    children: dict[str, ElementNode] = field(default_factory=dict)
    keys: dict[str, tuple[ElementNode, TypeRef | None]] = field(default_factory=dict)
    """JSON property name -> (child node, the type that name implies for a choice)."""
    has_type_profiles: bool = False
    simple: bool = False
    """Single-valued, not a choice, not sliced, allowed at all: checkable without grouping."""
    has_value_rules: bool = False
    """fixed, pattern, minValue, maxValue or a required/extensible binding to check."""
    invariants: list[tuple[Constraint, Any]] | None = None
    """The constraints compiled for evaluation; filled by the validator on first use."""
    required: tuple[ElementNode, ...] = ()
    """Children that must be present (min > 0, or a slice with min > 0): the only ones an
    object that lacks them needs checking against."""

    @property
    def single_type(self) -> str:
        """The type code when the element has exactly one type, else ''."""
        return self.types[0].code if len(self.types) == 1 else ""

    def type_for(self, code: str) -> TypeRef | None:
        return next((t for t in self.types if t.code == code), None)

    def add_child(self, child: ElementNode) -> None:
        self.children[child.name] = child
        if child.is_choice:
            for type_ref in child.types:
                self.keys[child.name + type_ref.code[0].upper() + type_ref.code[1:]] = (
                    child,
                    type_ref,
                )
        else:
            self.keys[child.name] = (child, child.types[0] if len(child.types) == 1 else None)


@dataclass(eq=False, slots=True)
class CompiledProfile:
    url: str
    type: str
    kind: str
    derivation: str | None
    root: ElementNode
    by_id: dict[str, ElementNode]
    name: str = ""

    @property
    def is_base(self) -> bool:
        return self.url == STRUCTURE_DEFINITION_BASE + self.type


def compile_structure(sd: dict[str, Any]) -> CompiledProfile:
    """Compile a StructureDefinition that has a snapshot."""
    url = str(sd.get("url", ""))
    elements = sd.get("snapshot", {}).get("element", [])
    if not elements:
        raise ValueError(f"StructureDefinition {url} has no snapshot")
    by_id: dict[str, ElementNode] = {}
    root: ElementNode | None = None
    for element in elements:
        node = _node(element, url)
        by_id[node.id] = node
        if root is None:
            root = node
            continue
        _attach(node, by_id)
    assert root is not None
    for node in by_id.values():
        node.has_type_profiles = any(t.profiles for t in node.types)
        node.simple = not node.is_array and not node.is_choice and not node.slices and node.max != 0
        node.has_value_rules = (
            node.fixed is not None
            or node.pattern is not None
            or node.min_value is not None
            or node.max_value is not None
            or (node.binding is not None and node.binding.strength in ("required", "extensible"))
        )
        node.required = tuple(
            child
            for child in node.children.values()
            if child.min > 0 or any(s.min > 0 for s in child.slices)
        )
    return CompiledProfile(
        url=url,
        type=str(sd.get("type", root.path)),
        kind=str(sd.get("kind", "resource")),
        derivation=sd.get("derivation"),
        root=root,
        by_id=by_id,
        name=str(sd.get("name", "")),
    )


def _attach(node: ElementNode, by_id: dict[str, ElementNode]) -> None:
    parent_id, _, last = node.id.rpartition(".")
    element_name, _, slice_part = last.partition(":")
    parent = by_id.get(parent_id)
    if parent is None:
        return
    if slice_part:
        sliced_id = f"{parent_id}.{element_name}"
        if "/" in slice_part:
            sliced_id = f"{sliced_id}:{slice_part.rsplit('/', 1)[0]}"
        sliced = by_id.get(sliced_id)
        if sliced is not None:
            sliced.slices.append(node)
        return
    parent.add_child(node)


def _node(element: dict[str, Any], profile_url: str) -> ElementNode:
    path = str(element["path"])
    element_id = str(element.get("id") or path)
    last = path.rsplit(".", 1)[-1]
    is_choice = last.endswith("[x]")
    base_max = str(element.get("base", {}).get("max", element.get("max", "1")))
    max_text = str(element.get("max", "*"))
    return ElementNode(
        id=element_id,
        path=path,
        name=last.removesuffix("[x]"),
        is_choice=is_choice,
        min=int(element.get("min", 0)),
        max=None if max_text == "*" else int(max_text),
        is_array=base_max not in {"1", "0"},
        types=tuple(_type_ref(t) for t in element.get("type", [])),
        profile_url=profile_url,
        fixed=_prefixed(element, "fixed"),
        pattern=_prefixed(element, "pattern"),
        binding=_binding(element.get("binding")),
        constraints=tuple(
            _constraint(c, profile_url)
            for c in element.get("constraint", [])
            if c.get("expression")
        ),
        max_length=element.get("maxLength"),
        min_value=_prefixed(element, "minValue"),
        max_value=_prefixed(element, "maxValue"),
        content_reference=element.get("contentReference"),
        slice_name=element.get("sliceName"),
        is_modifier=bool(element.get("isModifier", False)),
        slicing=_slicing(element.get("slicing")),
    )


def _type_ref(raw: dict[str, Any]) -> TypeRef:
    code = raw.get("code", "")
    for ext in raw.get("extension", []):
        # Primitive `value`s and `id`s carry their FHIR type in this extension.
        if ext.get("url", "").endswith("structuredefinition-fhir-type"):
            code = ext.get("valueUrl") or ext.get("valueUri") or code
    return TypeRef(
        code=normalise_type(str(code)),
        profiles=tuple(raw.get("profile", [])),
        target_profiles=tuple(raw.get("targetProfile", [])),
    )


def _binding(raw: dict[str, Any] | None) -> Binding | None:
    if not raw or not raw.get("valueSet"):
        return None
    return Binding(strength=str(raw.get("strength", "example")), value_set=str(raw["valueSet"]))


def _constraint(raw: dict[str, Any], profile_url: str) -> Constraint:
    return Constraint(
        key=str(raw.get("key", "")),
        severity=str(raw.get("severity", "error")),
        human=str(raw.get("human", "")),
        expression=str(raw["expression"]),
        source=str(raw.get("source") or profile_url),
    )


def _slicing(raw: dict[str, Any] | None) -> Slicing | None:
    if not raw:
        return None
    return Slicing(
        discriminators=tuple(
            Discriminator(type=str(d.get("type", "value")), path=str(d.get("path", "$this")))
            for d in raw.get("discriminator", [])
        ),
        rules=str(raw.get("rules", "open")),
        ordered=bool(raw.get("ordered", False)),
    )


def _prefixed(element: dict[str, Any], prefix: str) -> Any:
    for key, value in element.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return value
    return None
