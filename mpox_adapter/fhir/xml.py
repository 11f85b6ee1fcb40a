"""FHIR R4 XML to FHIR JSON, driven by the core StructureDefinitions.

XML does not say which elements repeat or which values are numbers or booleans; JSON does.
Both facts come from the snapshots: an element whose base cardinality is not 1 is an array,
and a primitive's JSON type follows its FHIR type. Decimals become Python int or float,
so a value such as ``1.50`` loses its trailing zero (orjson cannot write ``Decimal``).

The XML is parsed with the standard library's expat, which would expand entities declared
in a DTD ("billion laughs"): any DOCTYPE or entity declaration is refused outright.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from mpox_adapter.errors import InputError
from mpox_adapter.fhir.definitions import Definitions

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_BASE = "http://hl7.org/fhir/StructureDefinition/"
_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_INTEGERS = frozenset({"integer", "unsignedInt", "positiveInt"})
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}

ED = dict[str, Any]


def xml_to_json(data: bytes, definitions: Definitions) -> dict[str, Any]:
    """Convert one FHIR R4 XML resource to its JSON form.

    Raises InputError(message, location) for malformed XML, a non-FHIR namespace, or
    elements the definitions don't know (location = the element path).
    """
    root, lines = _parse(data)
    return _Converter(definitions, lines).resource(root, "")


def _parse(data: bytes) -> tuple[ET.Element, dict[int, int]]:
    # Cheap early refusal; the expat handlers below also catch UTF-16 and other encodings.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InputError("DTDs and entity declarations are not allowed in FHIR XML")
    builder = ET.TreeBuilder()  # no comment or PI handlers below: expat drops both
    parser = expat.ParserCreate(namespace_separator="}")
    lines: dict[int, int] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        element = builder.start(_clark(name), {_clark(k): v for k, v in attributes.items()})
        lines[id(element)] = parser.CurrentLineNumber

    def refuse(*_: Any) -> None:
        raise InputError(
            "DTDs and entity declarations are not allowed in FHIR XML",
            f"line {parser.CurrentLineNumber}",
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_clark(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InputError(
            f"malformed XML: {expat.ErrorString(exc.code)}", f"line {exc.lineno}"
        ) from exc
    return builder.close(), lines


def _clark(name: str) -> str:
    return "{" + name if "}" in name else name


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


@dataclass(frozen=True, slots=True)
class _Type:
    name: str
    kind: str
    root: str
    elements: dict[str, ED]
    choices: dict[str, list[tuple[str, ED]]]
    """Parent path -> (prefix, definition) of its ``[x]`` children."""


class _Converter:
    def __init__(self, definitions: Definitions, lines: dict[int, int]) -> None:
        self._definitions = definitions
        self._lines = lines
        self._types: dict[str, _Type] = {}

    def resource(self, element: ET.Element, where: str) -> dict[str, Any]:
        name = _split(element.tag)[1]
        here = where or name
        self._namespace(element, FHIR_NS, here)
        kind = self._type(name, here)
        if kind.kind != "resource":
            raise InputError(f"{name} is not a FHIR resource type{self._line(element)}", here)
        out: dict[str, Any] = {"resourceType": name}
        out.update(self._complex(element, kind, kind.root, here))
        return out

    def _type(self, code: str, where: str) -> _Type:
        found = self._types.get(code)
        if found is None:
            sd = self._definitions.structure_definition(_BASE + code)
            snapshot = (sd or {}).get("snapshot", {}).get("element") or []
            if sd is None or not snapshot:
                raise InputError(f"no StructureDefinition with a snapshot for {code}", where)
            elements = {e["path"]: e for e in snapshot}
            choices: dict[str, list[tuple[str, ED]]] = {}
            for path, definition in elements.items():
                if path.endswith("[x]"):
                    parent, _, last = path.rpartition(".")
                    choices.setdefault(parent, []).append((last[:-3], definition))
            found = _Type(code, sd.get("kind", ""), snapshot[0]["path"], elements, choices)
            self._types[code] = found
        return found

    def _complex(self, element: ET.Element, kind: _Type, path: str, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in element.attrib.items():
            if "}" in key:  # xsi:schemaLocation and the like carry no FHIR content
                continue
            definition = kind.elements.get(f"{path}.{key}")
            if definition is None or "xmlAttr" not in definition.get("representation", ()):
                raise InputError(f"unknown attribute '{key}'{self._line(element)}", where)
            out[key] = value
        self._no_text(element, where)
        groups: dict[str, list[ET.Element]] = {}
        for child in element:
            groups.setdefault(_split(child.tag)[1], []).append(child)
        for name, items in groups.items():
            here = f"{where}.{name}"
            definition, code, child_path = self._lookup(kind, path, name, items[0], here)
            base_max = definition.get("base", {}).get("max") or definition.get("max")
            many = base_max != "1"
            if not many and len(items) > 1:
                raise InputError(f"{name} may occur only once{self._line(items[1])}", here)
            spots = [f"{here}[{i}]" if many else here for i in range(len(items))]
            if code not in ("Element", "BackboneElement", "xhtml", "Resource") and (
                self._type(code, here).kind == "primitive-type"
            ):
                pairs = [self._primitive(i, code, s) for i, s in zip(items, spots, strict=True)]
                values, extras = [p[0] for p in pairs], [p[1] for p in pairs]
                if any(v is not None for v in values):
                    out[name] = values if many else values[0]
                if any(extras):
                    out[f"_{name}"] = extras if many else extras[0]
            else:
                found = [
                    self._item(i, code, kind, child_path, s)
                    for i, s in zip(items, spots, strict=True)
                ]
                out[name] = found if many else found[0]
        return out

    def _lookup(
        self, kind: _Type, path: str, name: str, element: ET.Element, where: str
    ) -> tuple[ED, str, str]:
        """The definition of child `name` of `path`, its type code and its children's path."""
        definition = kind.elements.get(f"{path}.{name}")
        if definition is not None:
            if "xmlAttr" in definition.get("representation", ()):
                raise InputError(f"{name} must be an XML attribute{self._line(element)}", where)
            reference = definition.get("contentReference")
            if isinstance(reference, str):
                target_path = reference.partition("#")[2]
                target = kind.elements.get(target_path)
                if target is None:
                    raise InputError(f"cannot resolve contentReference {reference}", where)
                return definition, _code((target.get("type") or [{}])[0]), target_path
            return definition, _code((definition.get("type") or [{}])[0]), f"{path}.{name}"
        for prefix, choice in kind.choices.get(path, []):
            if name.startswith(prefix):
                for option in choice.get("type", []):
                    code = _code(option)
                    if code[:1].upper() + code[1:] == name[len(prefix) :]:
                        return choice, code, f"{path}.{prefix}[x]"
        raise InputError(f"unknown element '{name}'{self._line(element)}", where)

    def _item(self, element: ET.Element, code: str, kind: _Type, path: str, where: str) -> Any:
        if code == "xhtml":
            self._namespace(element, XHTML_NS, where)
            return _xhtml(element, "", where)
        self._namespace(element, FHIR_NS, where)
        if code in ("Element", "BackboneElement"):
            return self._complex(element, kind, path, where)
        target = self._type(code, where) if code != "Resource" else None
        if target is None or target.kind == "resource":
            # A resource inside an element is wrapped: <resource><Patient>...</Patient></resource>.
            inner = list(element)
            if len(inner) != 1 or any(k for k in element.attrib if "}" not in k):
                raise InputError(f"expected one resource here{self._line(element)}", where)
            self._no_text(element, where)
            return self.resource(inner[0], where)
        return self._complex(element, target, target.root, where)

    def _primitive(
        self, element: ET.Element, code: str, where: str
    ) -> tuple[Any, dict[str, Any] | None]:
        self._namespace(element, FHIR_NS, where)
        kind = self._type(code, where)
        # The type's snapshot declares `value` and `id` as XML attributes, like any other.
        extra = self._complex(element, kind, kind.root, where)
        raw = extra.pop("value", None)
        if raw is None:
            if not extra:
                raise InputError(f"no value and no extension{self._line(element)}", where)
            return None, extra
        return _typed(raw, code, where), extra or None

    def _namespace(self, element: ET.Element, expected: str, where: str) -> None:
        namespace = _split(element.tag)[0]
        if namespace != expected:
            found = namespace or "no namespace"
            raise InputError(
                f"expected namespace {expected}, found {found}{self._line(element)}", where
            )

    def _no_text(self, element: ET.Element, where: str) -> None:
        if (element.text or "").strip() or any((c.tail or "").strip() for c in element):
            raise InputError(f"text is not allowed here{self._line(element)}", where)

    def _line(self, element: ET.Element) -> str:
        line = self._lines.get(id(element))
        return f" (line {line})" if line else ""


def _code(type_: dict[str, Any]) -> str:
    code = str(type_.get("code", ""))
    if code.startswith("http://hl7.org/fhirpath/System."):
        # Resource.id and friends are typed as FHIRPath system types; the FHIR type is here.
        for extension in type_.get("extension", []):
            if extension.get("url") == _FHIR_TYPE:
                return str(extension.get("valueUrl") or extension.get("valueUri"))
        system = code.rpartition(".")[2]
        return system[:1].lower() + system[1:]
    return code


def _typed(raw: str, code: str, where: str) -> Any:
    if raw == "":
        raise InputError("empty value attribute (leave the element out instead)", where)
    if code == "boolean":
        if raw not in ("true", "false"):
            raise InputError(f"'{raw}' is not a boolean", where)
        return raw == "true"
    if code in _INTEGERS:
        if not _INTEGER.fullmatch(raw):
            raise InputError(f"'{raw}' is not an integer", where)
        return int(raw)
    if code == "decimal":
        if not _DECIMAL.fullmatch(raw):
            raise InputError(f"'{raw}' is not a decimal", where)
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    return raw


def _xhtml(element: ET.Element, parent_namespace: str, where: str) -> str:
    namespace, name = _split(element.tag)
    parts = ["<", name]
    if namespace != parent_namespace:
        parts.append(f' xmlns="{escape(namespace, _ATTR_ESCAPES)}"')
    for key, value in element.attrib.items():
        key_namespace, key_name = _split(key)
        if key_namespace == _XML_NS:
            key_name = f"xml:{key_name}"
        elif key_namespace:
            raise InputError(f"namespaced attribute {key} is not supported in narrative", where)
        parts.append(f' {key_name}="{escape(value, _ATTR_ESCAPES)}"')
    body = escape(element.text or "", {"\r": "&#13;"}) + "".join(
        _xhtml(child, namespace, where) + escape(child.tail or "", {"\r": "&#13;"})
        for child in element
    )
    if not body:  # <td/>, as the HL7 Java tools (and so the published packages) write it
        parts.append("/>")
    else:
        parts.extend([">", body, f"</{name}>"])
    return "".join(parts)
