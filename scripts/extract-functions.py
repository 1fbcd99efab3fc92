"""Writes scripts/functions-spec.json: every function in pyspark.sql.functions, as pyspark 4.1 builds it.

Run with the Python of a venv holding pyspark (the embedded server's venv has it), plus pyspark's
Connect client packages (grpcio, protobuf, pandas, pyarrow...), which that venv lacks: `npm run bench`
installs them pinned into ~/.cache/spark-autobundle/bench-pydeps-pyspark-4.1.4, so
    PYTHONPATH=~/.cache/spark-autobundle/bench-pydeps-pyspark-4.1.4 \
      ~/.cache/spark-autobundle/venv-pyspark-4.1.4/bin/python scripts/extract-functions.py

For each name in `pyspark.sql.functions.__all__` it records the signature (parameter kinds from the
type annotations, defaults), the one-line summary of the docstring, and the *wire form*: which
unresolved function pyspark's Connect client sends and where each parameter lands, as a literal or a
column. The wire form is not guessed from the signature: each function is called with marker
arguments (a column named `__p_<param>`, an int/float/str literal no real call would use) and the
resulting protobuf is read back, once per subset of the optional parameters given, because pyspark
sometimes sends a different function when an optional argument is absent (`log(x)` is `ln(x)`).

scripts/gen-functions.mjs turns this spec into src/gen/functions.ts; nothing here needs a server.
Functions whose wire form is not a plain call tree (lambdas, UDF factories, DataFrame arguments, names
taken from an argument) are recorded with `"manual"` and a reason, and are written by hand.
"""

import inspect
import itertools
import json
import os
import sys
import typing
import warnings

from google.protobuf.json_format import MessageToDict

import pyspark
import pyspark.sql.functions as F
import pyspark.sql.connect.functions as CF
from pyspark.sql.connect.column import Column as ConnectColumn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "functions-spec.json")
MARK = "__p_"
INT_BASE = 7000  # int markers: 7000 + parameter index
FLOAT_BASE = 0.001953125  # float markers: exact in binary, + parameter index


def kind_of(annotation) -> str:
    """The parameter's kind, from its annotation as text (pyspark mixes strings and typing objects)."""
    text = annotation if isinstance(annotation, str) else repr(annotation)
    text = text.replace("ForwardRef(", "").replace("'", "").replace('"', "")
    text = text.replace("pyspark.sql.column.", "").replace("typing.", "")
    if "Callable" in text:
        return "lambda"
    if "DataFrame" in text:
        return "dataframe"
    if "Mapping" in text or "Dict" in text:
        return "options"
    if "StructType" in text or "DataType" in text:
        return "schema"
    col = "ColumnOrName" in text
    if "Sequence" in text or "List" in text or "Tuple" in text:
        if "float" in text:
            return "float_or_list"
        if col:
            return "col"  # *cols that also takes one list of columns, as array([a, b])
        return "list"
    if "Column" in text and not col and not any(t in text for t in ("int", "float", "str", "bool", "Any")):
        return "column"
    if col and "float" in text:
        return "col_or_float"
    if col and "int" in text:
        return "col_or_int"
    if col:
        return "col"
    if "int" in text and "float" in text:
        return "number"  # pyspark sends an int as an int and a float as a double
    for prim in ("bool", "float", "int", "str"):
        if prim in text:
            return prim
    if text in ("Column", "Optional[Column]", "Union[Column, NoneType]"):
        return "column"
    if "Any" in text or text == "_empty":
        return "any"
    return "unknown:" + text


# Markers pyspark would refuse, replaced by a value it accepts (still unique in the call).
MARKER_OVERRIDES = {"sha2.numBits": 384}


def marker(kind: str, name: str, index: int, default):
    """A value no real call would use, recognisable in the protobuf pyspark builds from it."""
    if kind in ("col", "column", "col_or_int", "col_or_float"):
        return CF.col(MARK + name)
    if kind in ("int", "number"):
        return INT_BASE + index
    if kind in ("float", "float_or_list"):
        return FLOAT_BASE + index
    if kind in ("str", "any", "schema"):
        return MARK + name
    if kind == "bool":
        return not default if isinstance(default, bool) else True
    if kind == "options":
        return {MARK + name: MARK + name}
    raise ValueError(kind)


def to_template(node: dict, params: dict):
    """The protobuf (as a dict) with each marker replaced by a reference to its parameter."""
    if "unresolvedAttribute" in node:
        ident = node["unresolvedAttribute"]["unparsedIdentifier"]
        if ident.startswith(MARK):
            return ref(ident[len(MARK):], params)
        return {"column": ident}
    if "literal" in node:
        (lit_type, value), = node["literal"].items()
        if lit_type == "string" and value.startswith(MARK):
            return ref(value[len(MARK):], params)
        for p, spec in params.items():
            if spec.get("_given") and not isinstance(spec.get("_marker"), (ConnectColumn, type(None), bool, dict)) \
                    and spec["_marker"] == value and lit_type != "boolean":
                return ref(p, params)
        if lit_type in ("integer", "long") and int(value) >= INT_BASE and int(value) - INT_BASE < len(params):
            return ref(list(params)[int(value) - INT_BASE], params)
        if lit_type == "double" and 0 < value - FLOAT_BASE < len(params) + 1 and float(value - FLOAT_BASE).is_integer():
            return ref(list(params)[int(value - FLOAT_BASE)], params)
        if lit_type == "boolean":
            owner = [p for p, spec in params.items() if spec["kind"] == "bool" and spec.get("_given") and spec["_marker"] == value]
            if len(owner) == 1:
                return ref(owner[0], params)
        return {"literal": {lit_type: value}}
    if "unresolvedFunction" in node:
        fn = node["unresolvedFunction"]
        args = [to_template(a, params) for a in fn.get("arguments", [])]
        if fn["functionName"] == "map" and all("param" in a for a in args) and len({a["param"] for a in args}) == 1 \
                and params[args[0]["param"]]["kind"] == "options":
            return ref(args[0]["param"], params)  # pyspark's _options_to_col(options): map(k1, v1, ...)
        if fn["functionName"].startswith(MARK):
            raise Unsupported("takes the function name as an argument")
        out = {"function": fn["functionName"], "args": args}
        if fn.get("isDistinct"):
            out["distinct"] = True
        return out
    raise Unsupported("builds " + ",".join(node))


def ref(name: str, params: dict) -> dict:
    return {"param": name.split("__")[0] if name.split("__")[0] in params else name}


class Unsupported(Exception):
    pass


def collapse_varargs(template, params):
    """Marker columns `cols__0`, `cols__1` of a *cols parameter become one spread reference."""
    if "args" in template:
        out = []
        for arg in template["args"]:
            arg = collapse_varargs(arg, params)
            if "param" in arg and params.get(arg["param"], {}).get("variadic"):
                if out and out[-1].get("param") == arg["param"]:
                    continue
            out.append(arg)
        template = {**template, "args": out}
    return template


def probe(fn, params: dict, given: typing.Sequence[str]):
    """Calls fn with markers for the required parameters and the `given` optional ones."""
    positional, kwargs = [], {}
    variadic = any(spec["variadic"] for spec in params.values())
    for index, (name, spec) in enumerate(params.items()):
        spec["_given"] = name in given or not spec["optional"]
        if not spec["_given"]:
            continue
        if spec["variadic"]:
            markers = [marker(spec["kind"], f"{name}__{i}", index, None) for i in range(2)]
            positional.extend(markers)
            continue
        value = spec["_marker"] = MARKER_OVERRIDES.get(f"{fn.__name__}.{name}", marker(spec["kind"], name, index, spec.get("default")))
        # Before a *args everything is positional; otherwise keywords let an earlier optional be absent.
        if variadic and not spec["keyword_only"]:
            positional.append(value)
        else:
            kwargs[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fn(*positional, **kwargs)
    if not isinstance(result, ConnectColumn):
        raise Unsupported("returns " + type(result).__name__)
    plan = MessageToDict(result._expr.to_plan(None))
    return collapse_varargs(to_template(plan, params), params)


def summary(doc: str) -> str:
    """The docstring's first paragraph, as one line."""
    lines = []
    for line in (doc or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def describe(name: str) -> dict:
    fn = getattr(F, name)
    if inspect.isclass(fn):  # an exception class re-exported for UDTFs, not a function
        return {"name": name, "doc": summary(fn.__doc__), "params": {}, "manual": "a class"}
    signature = inspect.signature(fn)
    params = {}
    for p in signature.parameters.values():
        spec = {
            "kind": kind_of(p.annotation),
            "annotation": p.annotation if isinstance(p.annotation, str) else repr(p.annotation).replace("typing.", ""),
            "optional": p.default is not inspect.Parameter.empty,
            "variadic": p.kind is inspect.Parameter.VAR_POSITIONAL,
            "keyword_only": p.kind is inspect.Parameter.KEYWORD_ONLY,
        }
        if spec["optional"]:
            spec["default"] = p.default if isinstance(p.default, (int, float, str, bool, type(None))) else repr(p.default)
        params[p.name] = spec
    entry = {"name": name, "doc": summary(fn.__doc__), "params": params}
    kinds = {spec["kind"] for spec in params.values()}
    blocked = kinds & {"lambda", "dataframe", "list"} or {k for k in kinds if k.startswith("unknown")}
    if blocked:
        entry["manual"] = "takes " + ", ".join(sorted(blocked))
    else:
        try:
            optional = [p for p, spec in params.items() if spec["optional"]]
            variants = []
            failures = []
            for size in range(len(optional) + 1):
                for given in itertools.combinations(optional, size):
                    try:
                        variants.append({"given": list(given), "call": probe(getattr(CF, name), params, given)})
                    except Unsupported:
                        raise
                    except Exception as error:  # pyspark refuses this combination (make_timestamp's date/time vs fields)
                        failures.append(error)
            if not variants:
                raise failures[0]
            entry["variants"] = variants
        except Unsupported as error:
            entry["manual"] = str(error)
        except Exception as error:  # pyspark rejected the marker arguments: written by hand
            entry["manual"] = f"probe failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
    for spec in params.values():
        spec.pop("_given", None)
        spec.pop("_marker", None)
    return entry


def public_names() -> list:
    """`__all__`, plus the camelCase and other aliases pyspark defines but leaves out of it (countDistinct)."""
    aliases = [
        name for name in dir(F)
        if not name.startswith("_") and name not in F.__all__ and inspect.isfunction(getattr(F, name))
        and getattr(F, name).__module__.startswith("pyspark.sql.functions")
    ]
    return sorted(set(F.__all__) | set(aliases))


def main() -> None:
    functions = []
    for name in public_names():
        entry = describe(name)
        if name not in F.__all__:
            entry["alias"] = True  # not in __all__: counted apart in the README's coverage
        functions.append(entry)
    spec = {"pyspark": pyspark.__version__, "functions": functions}
    text = json.dumps(spec, indent=1, sort_keys=False) + "\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
    else:
        with open(OUT, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        manual = [f["name"] for f in functions if "manual" in f]
        print(f"wrote {OUT}: {len(functions)} functions, {len(manual)} manual: {', '.join(manual)}")


if __name__ == "__main__":
    main()
