"""FHIRPath functions as closure builders: ``FUNCTIONS[name] = (min, max, builder)``.

Arguments arrive compiled. A criteria or projection argument (``where``, ``select``, ...) is
run once per input item with that item as ``$this``; any other argument is evaluated against
the ``$this`` of the enclosing expression, as fhirpathpy does (``combine($this.x)`` in
csd-1 means the CodeSystem, not the codes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mpox_adapter.validation.fhirpath_nodes import (
    Env,
    Fn,
    FPDate,
    FPDateTime,
    children,
    descendants,
    fail,
    has_value,
    navigate,
    value_of,
)
from mpox_adapter.validation.fhirpath_strings import STRING_FUNCTIONS
from mpox_adapter.validation.fhirpath_values import (
    Builder,
    distinct_items,
    int_arg,
    key,
    no_args,
    single,
    str_arg,
    truth,
)

# --- existence ---------------------------------------------------------------------------


def _exists(args: list[Fn]) -> Fn:
    if not args:
        return lambda inp, env: [bool(inp)]
    crit = args[0]

    def run(inp: list[Any], env: Env) -> list[Any]:
        this, index = env.this, env.index
        found = False
        for i, item in enumerate(inp):
            env.this = one = [item]
            env.index = i
            if truth(crit(one, env)):
                found = True
                break
        env.this, env.index = this, index
        return [found]

    return run


def _all(args: list[Fn]) -> Fn:
    crit = args[0]

    def run(inp: list[Any], env: Env) -> list[Any]:
        this, index = env.this, env.index
        ok = True
        for i, item in enumerate(inp):
            env.this = one = [item]
            env.index = i
            if not truth(crit(one, env)):
                ok = False
                break
        env.this, env.index = this, index
        return [ok]

    return run


def _bools(inp: list[Any], what: str) -> list[bool]:
    values = [value_of(x) for x in inp]
    if any(type(v) is not bool for v in values):
        raise fail(f"{what} expects Booleans")
    return values


def _subset(args: list[Fn], superset: bool) -> Fn:
    def run(inp: list[Any], env: Env) -> list[Any]:
        other = args[0](env.this, env)
        small, big = (other, inp) if superset else (inp, other)
        keys = {key(x) for x in big}
        return [all(key(x) in keys for x in small)]

    return run


# --- filtering and projection ------------------------------------------------------------


def _where(args: list[Fn]) -> Fn:
    crit = args[0]

    def run(inp: list[Any], env: Env) -> list[Any]:
        if not inp:
            return inp
        this, index = env.this, env.index
        out = []
        for i, item in enumerate(inp):
            env.this = one = [item]
            env.index = i
            if truth(crit(one, env)):
                out.append(item)
        env.this, env.index = this, index
        return out

    return run


def _select(args: list[Fn]) -> Fn:
    proj = args[0]

    def run(inp: list[Any], env: Env) -> list[Any]:
        this, index = env.this, env.index
        out: list[Any] = []
        for i, item in enumerate(inp):
            env.this = one = [item]
            env.index = i
            out.extend(proj(one, env))
        env.this, env.index = this, index
        return out

    return run


def _repeat(args: list[Fn]) -> Fn:
    proj = args[0]

    def run(inp: list[Any], env: Env) -> list[Any]:
        this, index = env.this, env.index
        out: list[Any] = []
        seen: set[Any] = set()
        queue = list(inp)
        while queue:
            item = queue.pop(0)
            env.this = one = [item]
            for child in proj(one, env):
                # Identity for objects, value for primitives: ends cycles of equal values.
                k = id(child) if type(child) is dict else key(child)
                if k not in seen:
                    seen.add(k)
                    out.append(child)
                    queue.append(child)
        env.this, env.index = this, index
        return out

    return run


def _aggregate(args: list[Fn]) -> Fn:
    agg = args[0]
    init = args[1] if len(args) > 1 else None

    def run(inp: list[Any], env: Env) -> list[Any]:
        this, index, total = env.this, env.index, env.total
        acc = init(env.this, env) if init is not None else []
        for i, item in enumerate(inp):
            env.this = one = [item]
            env.index = i
            env.total = acc
            acc = agg(one, env)
        env.this, env.index, env.total = this, index, total
        return acc

    return run


def _iif(args: list[Fn]) -> Fn:
    cond, yes = args[0], args[1]
    no = args[2] if len(args) > 2 else None

    def run(inp: list[Any], env: Env) -> list[Any]:
        this = env.this
        env.this = inp
        try:
            if truth(cond(inp, env)):
                return yes(inp, env)
            return no(inp, env) if no is not None else []
        finally:
            env.this = this

    return run


# --- subsetting and combining ------------------------------------------------------------


def _single(inp: list[Any], env: Env) -> list[Any]:
    if len(inp) > 1:
        raise fail(f"single() on {len(inp)} items")
    return inp


def _skip_take(args: list[Fn], take: bool) -> Fn:
    def run(inp: list[Any], env: Env) -> list[Any]:
        n = int_arg(args[0], env, "skip()/take()")
        if n is None:
            return [] if take else inp
        if take:
            return inp[: max(n, 0)]
        return inp[max(n, 0) :]

    return run


def _set_op(args: list[Fn], op: str) -> Fn:
    def run(inp: list[Any], env: Env) -> list[Any]:
        other = args[0](env.this, env)
        if op == "combine":
            return inp + other
        if op == "union":
            return distinct_items(inp + other)
        keys = {key(x) for x in other}
        if op == "exclude":
            return [x for x in inp if key(x) not in keys]
        return [x for x in distinct_items(inp) if key(x) in keys]

    return run


# --- tree, references, terminology --------------------------------------------------------


def _not(inp: list[Any], env: Env) -> list[Any]:
    value = truth(inp)
    return [] if value is None else [not value]


def _has_value(inp: list[Any], env: Env) -> list[Any]:
    return [len(inp) == 1 and has_value(inp[0])]


def all_children(inp: list[Any], env: Env) -> list[Any]:
    out: list[Any] = []
    for item in inp:
        out.extend(children(item))
    return out


def _descendants(inp: list[Any], env: Env) -> list[Any]:
    return descendants(inp)


def _extension(args: list[Fn]) -> Fn:
    def run(inp: list[Any], env: Env) -> list[Any]:
        url = str_arg(args[0], env, "extension()")
        if url is None:
            return []
        return [e for e in navigate(inp, "extension") if type(e) is dict and e.get("url") == url]

    return run


def _resolve(inp: list[Any], env: Env) -> list[Any]:
    out = []
    root = env.ctx.root_resource or env.ctx.resource
    for item in inp:
        v = value_of(item)
        ref = v.get("reference") if type(v) is dict else v
        if not isinstance(ref, str):
            continue
        if ref.startswith("#"):
            for contained in navigate([root], "contained"):
                if type(contained) is dict and contained.get("id") == ref[1:]:
                    out.append(contained)
        elif env.ctx.resolver is not None:
            found = env.ctx.resolver(ref)
            if found is not None:
                out.append(found)
    return out


def _hook(what: str, name: str) -> Builder:
    def build(args: list[Fn]) -> Fn:
        def run(inp: list[Any], env: Env) -> list[Any]:
            hook = getattr(env.ctx, name)
            item = single(inp, what)
            url = str_arg(args[0], env, what)
            if hook is None or item is None or url is None:
                return []
            answer = hook(value_of(item), url)
            return [] if answer is None else [bool(answer)]

        return run

    return build


def _trace(args: list[Fn]) -> Fn:
    return lambda inp, env: inp


def _today(inp: list[Any], env: Env) -> list[Any]:
    return [FPDate(datetime.now(UTC).astimezone().date().isoformat())]


def _now(inp: list[Any], env: Env) -> list[Any]:
    return [FPDateTime(datetime.now(UTC).astimezone().isoformat(timespec="milliseconds"))]


def _bool_fold(what: str, fn: Callable[[list[bool]], bool]) -> Builder:
    return no_args(lambda inp, env: [fn(_bools(inp, what))])


def _const(value: list[Any]) -> Builder:
    return no_args(lambda inp, env: value)


FUNCTIONS: dict[str, tuple[int, int, Builder]] = {
    "empty": (0, 0, no_args(lambda inp, env: [not inp])),
    "exists": (0, 1, _exists),
    "all": (1, 1, _all),
    "allTrue": (0, 0, _bool_fold("allTrue()", all)),
    "anyTrue": (0, 0, _bool_fold("anyTrue()", any)),
    "allFalse": (0, 0, _bool_fold("allFalse()", lambda b: not any(b))),
    "anyFalse": (0, 0, _bool_fold("anyFalse()", lambda b: not all(b))),
    "subsetOf": (1, 1, lambda a: _subset(a, superset=False)),
    "supersetOf": (1, 1, lambda a: _subset(a, superset=True)),
    "count": (0, 0, no_args(lambda inp, env: [len(inp)])),
    "distinct": (0, 0, no_args(lambda inp, env: distinct_items(inp))),
    "isDistinct": (0, 0, no_args(lambda inp, env: [len(distinct_items(inp)) == len(inp)])),
    "where": (1, 1, _where),
    "select": (1, 1, _select),
    "repeat": (1, 1, _repeat),
    "aggregate": (1, 2, _aggregate),
    "iif": (2, 3, _iif),
    "single": (0, 0, no_args(_single)),
    "first": (0, 0, no_args(lambda inp, env: inp[:1])),
    "last": (0, 0, no_args(lambda inp, env: inp[-1:])),
    "tail": (0, 0, no_args(lambda inp, env: inp[1:])),
    "skip": (1, 1, lambda a: _skip_take(a, take=False)),
    "take": (1, 1, lambda a: _skip_take(a, take=True)),
    "union": (1, 1, lambda a: _set_op(a, "union")),
    "combine": (1, 1, lambda a: _set_op(a, "combine")),
    "intersect": (1, 1, lambda a: _set_op(a, "intersect")),
    "exclude": (1, 1, lambda a: _set_op(a, "exclude")),
    **STRING_FUNCTIONS,
    "not": (0, 0, no_args(_not)),
    "hasValue": (0, 0, no_args(_has_value)),
    "children": (0, 0, no_args(all_children)),
    "descendants": (0, 0, no_args(_descendants)),
    "extension": (1, 1, _extension),
    "resolve": (0, 0, no_args(_resolve)),
    "memberOf": (1, 1, _hook("memberOf()", "member_of")),
    "conformsTo": (1, 1, _hook("conformsTo()", "conforms_to")),
    # txt-1 holds: checking narrative XHTML (allowed elements, no scripts) is out of scope.
    "htmlChecks": (0, 0, _const([True])),
    "trace": (1, 2, _trace),
    "today": (0, 0, no_args(_today)),
    "now": (0, 0, no_args(_now)),
}
