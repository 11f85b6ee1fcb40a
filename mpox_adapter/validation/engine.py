"""The walker: one pass over a resource's JSON against a compiled profile tree.

`Validator` owns what is expensive and shared (compiled profiles, terminology, compiled
invariants); `_Run` holds what belongs to one call (the issues found, the Bundle being
validated for resolving references). The walker reports; it never raises on bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation import primitives
from mpox_adapter.validation.element_checks import EXTENSION_NAMES, common_checks
from mpox_adapter.validation.fhirpath import EvalContext
from mpox_adapter.validation.invariants import NativeCheck, checker
from mpox_adapter.validation.issues import Issue, Severity, outcome, too_few, too_many
from mpox_adapter.validation.memo import InvariantMemo, SubtreeMemo, uses_context
from mpox_adapter.validation.profiles import ProfileRegistry
from mpox_adapter.validation.references import ReferenceIndex
from mpox_adapter.validation.slicing import assign_slices
from mpox_adapter.validation.structure import Constraint, ElementNode, TypeRef
from mpox_adapter.validation.terminology import Terminology

MAX_DEPTH = 64
MEMO_DEPTH = 32


class Validator:
    """Validates FHIR R4 JSON against the base specification and profiles."""

    def __init__(self, definitions: Definitions, terminology: Terminology | None = None) -> None:
        self.definitions = definitions
        self.terminology = terminology or Terminology(definitions)
        self.registry = ProfileRegistry(definitions)
        self._checks: dict[str, NativeCheck | None] = {}
        self.memo = SubtreeMemo()
        self.invariant_memo = InvariantMemo()
        self.context_bound_expressions: set[str] = set()

    def validate(self, resource: Any, profiles: Sequence[str] = ()) -> dict[str, Any]:
        """Validate a resource (a Bundle entry by entry) and answer an OperationOutcome."""
        return outcome(self.issues(resource, profiles))

    def issues(self, resource: Any, profiles: Sequence[str] = ()) -> list[Issue]:
        run = _Run(self)
        if not isinstance(resource, dict):
            run.report(
                "fatal",
                "structure",
                "",
                f"expected a JSON object, got {primitives.json_kind(resource)}",
            )
            return run.issues
        root_type = resource.get("resourceType")
        path = root_type if isinstance(root_type, str) else "Resource"
        run.references.index(resource, path)
        run.resource(resource, path, profiles, container=None)
        return run.issues

    def invariants_of(self, node: ElementNode) -> list[tuple[Constraint, NativeCheck]]:
        """The node's invariants that need evaluating, compiled once per node."""
        if node.invariants is None:
            compiled = []
            for constraint in node.constraints:
                if constraint.expression not in self._checks:
                    self._checks[constraint.expression] = checker(constraint.expression)
                check = self._checks[constraint.expression]
                if check is not None:
                    compiled.append((constraint, check))
                    if uses_context(constraint.expression):
                        self.context_bound_expressions.add(constraint.expression)
            node.invariants = compiled
        return node.invariants


class _Run:
    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.registry = validator.registry
        self.terminology = validator.terminology
        self.issues: list[Issue] = []
        self.references = ReferenceIndex()
        self.context_bound = False
        """Set by any check that looked outside the element being walked; see memo.py."""

    def report(self, severity: Severity, code: str, expression: str, message: str) -> None:
        self.issues.append(Issue(severity, code, expression, message))

    # -- resources ---------------------------------------------------------------------

    def resource(
        self,
        resource: Any,
        path: str,
        profiles: Iterable[str],
        container: EvalContext | None,
        depth: int = 0,
    ) -> None:
        if not isinstance(resource, dict):
            self.report(
                "error",
                "structure",
                path,
                f"expected a resource, got {primitives.json_kind(resource)}",
            )
            return
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or not resource_type:
            self.report("error", "required", path, "resourceType is missing")
            return
        base = self.registry.resource_type(resource_type)
        if base is None:
            self.report("error", "structure", path, f"unknown resourceType {resource_type!r}")
            return
        context = EvalContext(
            resource=resource,
            root_resource=container.root_resource if container else resource,
        )
        applied = self._profiles_for(resource, resource_type, path, profiles)
        if not any(p.type == resource_type and p.derivation == "constraint" for p in applied):
            applied.insert(0, base)
        for profile in applied:
            self.element(resource, profile.root, path, context, resource_type, depth)

    def _profiles_for(
        self, resource: dict[str, Any], resource_type: str, path: str, requested: Iterable[str]
    ) -> list[Any]:
        urls = list(requested) + self.validator.definitions.global_profiles.get(resource_type, [])
        meta = resource.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("profile"), list):
            urls.extend(u for u in meta["profile"] if isinstance(u, str))
        applied = []
        for url in dict.fromkeys(urls):
            profile = self.registry.get(url)
            if profile is None:
                self.report(
                    "warning",
                    "not-found",
                    path,
                    f"profile {url} is not known; cannot validate against it",
                )
            elif profile.type not in (resource_type, "Resource", "DomainResource"):
                self.report(
                    "error",
                    "structure",
                    path,
                    f"profile {url} is for {profile.type}, not {resource_type}",
                )
            else:
                applied.append(profile)
        return applied

    # -- elements ----------------------------------------------------------------------

    def element(
        self,
        value: Any,
        node: ElementNode,
        path: str,
        context: EvalContext,
        type_code: str,
        depth: int,
        extra: Any = None,
    ) -> None:
        """Check one occurrence of `node` (already known to be present) at `path`; `extra`
        is a primitive's ``_name`` sibling, which invariants see as part of the element."""
        if depth > MAX_DEPTH:
            self.context_bound = True  # the limit counts from the resource, not the subtree
            self.report("error", "too-costly", path, f"nesting deeper than {MAX_DEPTH} levels")
            return
        if type_code in primitives.PRIMITIVE_TYPES:
            self.primitive(value, node, path, type_code)
        elif self._holds_resource(value, node, type_code):
            self.contained_resource(value, node, path, context, depth)
            return
        elif not isinstance(value, dict):
            self.report(
                "error",
                "structure",
                path,
                f"expected an object ({type_code}), got {primitives.json_kind(value)}",
            )
            return
        elif extra is None and 0 < depth <= MEMO_DEPTH:
            self.memoised(value, node, path, context, type_code, depth)
            return
        else:
            self.complex_with_profiles(value, node, path, context, type_code, depth)
        self.checks_if_any(value, node, path, context, type_code, extra)

    def memoised(
        self,
        value: dict[str, Any],
        node: ElementNode,
        path: str,
        context: EvalContext,
        type_code: str,
        depth: int,
    ) -> None:
        memo = self.validator.memo
        key = memo.key(id(node), type_code, value)
        if key is not None:
            replayed = memo.replay(key, path)
            if replayed is not None:
                self.issues.extend(replayed)
                return
        start, outer = len(self.issues), self.context_bound
        self.context_bound = False
        self.complex_with_profiles(value, node, path, context, type_code, depth)
        self.checks_if_any(value, node, path, context, type_code, None)
        if key is not None and not self.context_bound:
            memo.keep(key, path, self.issues[start:])
        self.context_bound = outer or self.context_bound

    def complex_with_profiles(
        self,
        value: dict[str, Any],
        node: ElementNode,
        path: str,
        context: EvalContext,
        type_code: str,
        depth: int,
    ) -> None:
        self.complex(value, node, path, context, type_code, depth)
        if node.has_type_profiles:
            type_ref = node.type_for(type_code)
            for url in type_ref.profiles if type_ref else ():
                self.against_profile(value, url, path, context, depth)

    def checks_if_any(
        self,
        value: Any,
        node: ElementNode,
        path: str,
        context: EvalContext,
        type_code: str,
        extra: Any,
    ) -> None:
        invariants = (
            self.validator.invariants_of(node) if node.invariants is None else node.invariants
        )
        if (
            invariants
            or node.has_value_rules
            or type_code == "Reference"
            or node.name in EXTENSION_NAMES
        ):
            common_checks(self, value, node, path, context, type_code, extra)

    def _holds_resource(self, value: Any, node: ElementNode, type_code: str) -> bool:
        if type_code == "Resource" or (
            node.path != type_code and self.registry.is_resource(type_code)
        ):
            return True
        # A type-sliced Bundle.entry.resource lists several resource types.
        return (
            not type_code
            and isinstance(value, dict)
            and "resourceType" in value
            and any(t.code == "Resource" or self.registry.is_resource(t.code) for t in node.types)
        )

    def contained_resource(
        self, value: Any, node: ElementNode, path: str, context: EvalContext, depth: int
    ) -> None:
        """A resource inside an element (contained, Bundle.entry.resource, Parameters...)."""
        self.context_bound = True
        codes = {t.code for t in node.types}
        actual = value.get("resourceType") if isinstance(value, dict) else None
        if (
            actual
            and "Resource" not in codes
            and "DomainResource" not in codes
            and actual not in codes
        ):
            self.report(
                "error",
                "structure",
                path,
                f"a {actual} is not allowed here (allowed: {', '.join(sorted(codes))})",
            )
            return
        profiles = [p for t in node.types if t.code in (actual, "Resource") for p in t.profiles]
        if len(profiles) > 1:
            # Several profiles on one type mean "conforms to at least one of them".
            fitting = next((url for url in profiles if self.conforms(value, url)), None)
            profiles = [fitting] if fitting else profiles[:1]
            if fitting is None:
                self.report(
                    "error",
                    "structure",
                    path,
                    "does not conform to any of the profiles " + ", ".join(profiles),
                )
        self.resource(value, path, profiles, context, depth + 1)

    def against_profile(
        self, value: dict[str, Any], url: str, path: str, context: EvalContext, depth: int
    ) -> None:
        """A datatype or extension element constrained by a profile of its type."""
        profile = self.registry.get(url)
        if profile is None:
            self.report(
                "warning",
                "not-found",
                path,
                f"profile {url} is not known; the element was checked against its base type only",
            )
            return
        self.complex(value, profile.root, path, context, profile.type, depth + 1)
        common_checks(self, value, profile.root, path, context, profile.type)

    def complex(
        self,
        value: dict[str, Any],
        node: ElementNode,
        path: str,
        context: EvalContext,
        type_code: str,
        depth: int,
    ) -> None:
        source = self.registry.children_source(node, type_code)
        if source is None:
            self.report("error", "structure", path, f"no definition for type {type_code}")
            return
        if not value or (len(value) == 1 and "id" in value):
            self.report(
                "error",
                "invariant",
                path,
                "ele-1: All FHIR elements must have a @value or children",
            )
        grouped: dict[str, list[tuple[str, Any, TypeRef | None]]] = {}
        present: set[str] = set()
        for key, item in value.items():
            if key == "resourceType" and node.path == type_code:
                continue
            found = source.keys.get(key[1:] if key[0] == "_" else key)
            if found is None:
                self._unknown(key, source, path)
                continue
            child, type_ref = found
            present.add(child.name)
            if (
                child.simple
                and key[0] != "_"
                and not isinstance(item, list)
                and ("_" + key) not in value
                and (type_ref is not None or child.single_type)
            ):
                # One single-valued element with no `_name` sibling and no slices: check it
                # directly, without the bookkeeping arrays and primitive extensions need.
                code = type_ref.code if type_ref else child.single_type
                self.element(item, child, f"{path}.{child.name}", context, code, depth + 1)
                continue
            grouped.setdefault(child.name, []).append((key, item, type_ref))
        for name, entries in grouped.items():
            self.child(value, source.children[name], entries, path, context, depth)
        for child in source.required:
            if child.name not in present:
                self.child(value, child, [], path, context, depth)

    def _unknown(self, key: str, source: ElementNode, path: str) -> None:
        bare = key.lstrip("_")
        for name, child in source.children.items():
            if (
                child.is_choice
                and bare.startswith(name)
                and bare[len(name) : len(name) + 1].isupper()
            ):
                allowed = ", ".join(t.code for t in child.types)
                self.report(
                    "error",
                    "structure",
                    f"{path}.{name}",
                    f"type {bare[len(name) :]} is not allowed for {name}[x] (allowed: {allowed})",
                )
                return
        self.report("error", "structure", f"{path}.{key}", f"unrecognised element {key!r}")

    def child(
        self,
        parent: dict[str, Any],
        node: ElementNode,
        entries: list[tuple[str, Any, TypeRef | None]],
        path: str,
        context: EvalContext,
        depth: int,
    ) -> None:
        """All occurrences of one child element: shape, cardinality, slicing, then each item."""
        items: list[tuple[Any, Any, TypeRef | None, str]] = []
        for key, value, type_ref in entries:
            if key.startswith("_"):
                continue
            name_path = (
                f"{path}.{node.name}"
                if not node.is_choice
                else f"{path}.{node.name}.ofType({type_ref.code if type_ref else '?'})"
            )
            extras = parent.get("_" + key)
            if not self._shape_ok(value, node, name_path) or (
                extras is not None and not self._shape_ok(extras, node, name_path)
            ):
                continue
            values = value if isinstance(value, list) else [value]
            extra_list = (
                extras
                if isinstance(extras, list)
                else [extras] * len(values)
                if extras is not None and not node.is_array
                else (extras or [])
            )
            for index, item in enumerate(values):
                extra = extra_list[index] if index < len(extra_list) else None
                item_path = f"{name_path}[{index}]" if node.is_array else name_path
                items.append((item, extra, type_ref, item_path))
        for key, value, type_ref in entries:
            if key.startswith("_") and key[1:] not in parent:
                name_path = f"{path}.{node.name}"
                if not self._shape_ok(value, node, name_path):
                    continue
                for index, extra in enumerate(value if isinstance(value, list) else [value]):
                    items.append(
                        (
                            None,
                            extra,
                            type_ref,
                            f"{name_path}[{index}]" if node.is_array else name_path,
                        )
                    )
        count = sum(1 for item, extra, _, _ in items if item is not None or extra is not None)
        if count < node.min:
            self.report(
                "error",
                "required",
                f"{path}.{node.name}",
                too_few(node.name, node.min, count, node.profile_url),
            )
        if node.max is not None and count > node.max:
            self.report(
                "error",
                "structure",
                f"{path}.{node.name}",
                too_many(node.name, node.max, count, node.profile_url),
            )
        if not items:
            for slice_node in node.slices:
                if slice_node.min > 0:
                    self.report(
                        "error",
                        "required",
                        f"{path}.{node.name}:{slice_node.slice_name}",
                        too_few(
                            f"slice {slice_node.slice_name}",
                            slice_node.min,
                            0,
                            slice_node.profile_url,
                        ),
                    )
            return
        targets: list[ElementNode | None] = [None] * len(items)
        if node.slicing is not None and node.slices:
            targets = assign_slices(self, node, items, f"{path}.{node.name}", context)
        for (item, extra, type_ref, item_path), target in zip(items, targets, strict=True):
            use = target or node
            code = type_ref.code if type_ref else use.single_type
            if (
                target is not None
                and node.is_choice
                and type_ref is not None
                and use.type_for(code) is None
                and use.types
            ):
                self.report(
                    "error",
                    "structure",
                    item_path,
                    f"type {code} is not allowed by slice {target.slice_name}",
                )
            if item is not None:
                self.element(item, use, item_path, context, code, depth + 1, extra)
            if extra is not None:
                self.primitive_extras(extra, item_path, context, item is not None, depth)

    def _shape_ok(self, value: Any, node: ElementNode, path: str) -> bool:
        if node.is_array and not isinstance(value, list):
            self.report("error", "structure", path, f"{node.name} must be a JSON array")
            return False
        if not node.is_array and isinstance(value, list):
            self.report(
                "error", "structure", path, f"{node.name} must not be a JSON array (maximum 1)"
            )
            return False
        if isinstance(value, list) and not value:
            self.report(
                "error",
                "structure",
                path,
                f"{node.name}: arrays must not be empty (omit the element instead)",
            )
            return False
        return True

    def primitive(self, value: Any, node: ElementNode, path: str, type_code: str) -> None:
        problem = primitives.check(type_code, value)
        if problem is not None:
            self.report("error", "value", path, problem)
            return
        if node.max_length is not None and isinstance(value, str) and len(value) > node.max_length:
            self.report(
                "error", "too-long", path, f"longer than the maximum length {node.max_length}"
            )

    def primitive_extras(
        self, extra: Any, path: str, context: EvalContext, has_value: bool, depth: int
    ) -> None:
        if extra is None:
            return
        if not isinstance(extra, dict):
            self.report(
                "error",
                "structure",
                path,
                f"the _{path.rsplit('.', 1)[-1]} sibling must be an object",
            )
            return
        element = self.registry.type_root("Element")
        if element is None:
            return
        if not has_value and not extra.get("extension"):
            self.report(
                "error",
                "invariant",
                path,
                "ele-1: All FHIR elements must have a @value or children",
            )
        self.complex(extra, element, path, context, "Element", depth + 1)

    def conforms(self, resource: dict[str, Any], profile_url: str) -> bool:
        """Whether `resource` meets `profile_url` without errors (for slicing and references)."""
        self.context_bound = True
        probe = _Run(self.validator)
        probe.references = self.references
        probe.resource(
            resource, resource.get("resourceType", "Resource"), [profile_url], container=None
        )
        return not any(issue.is_error for issue in probe.issues)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
