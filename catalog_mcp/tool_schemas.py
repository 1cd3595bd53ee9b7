"""Smaller tool schemas: what a model reads in tools/list on every turn."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer

# Sub-results whose shape the description tells well enough.
LOOSE_DEFS = frozenset({"Facets", "ProviderAttempt", "Option", "Variant", "Selection"})
# Tools whose result has the shape of another tool's: their schema points there.
SAME_OUTPUT = {
    "list_products": "search_products",
    "similar_products": "search_products",
    "create_product": "get_product",
    "update_product": "get_product",
}
# Tools whose parameters repeat another tool's: the repeated descriptions are left out.
SAME_INPUT = {
    "list_products": "search_products",
    "similar_products": "search_products",
    "list_categories": "search_products",
    "update_product": "create_product",
    "describe_product": "create_product",
}
# Keys whose value maps names to schemas (a property may itself be called 'title').
_SCHEMA_MAPS = frozenset({"properties", "$defs", "patternProperties"})


def without_titles(schema: Any) -> Any:
    """Drop the 'title' pydantic gives every schema: it repeats the property name."""
    if isinstance(schema, list):
        return [without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    compact: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            compact[key] = {name: without_titles(sub) for name, sub in value.items()}
        elif key in {"default", "examples", "enum", "const"}:
            compact[key] = value
        else:
            compact[key] = without_titles(value)
    return compact


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Write `anyOf [X, null]` with a null default as X: leaving the field out means null."""
    options = schema.get("anyOf")
    null_default = "default" in schema and schema["default"] is None
    if not isinstance(options, list) or {"type": "null"} not in options or not null_default:
        return schema
    kept = [option for option in options if option != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k not in {"anyOf", "default"}}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {"anyOf": kept, **rest}


def compact_output(schema: Any) -> Any:
    """Shrink an output schema: no titles, optional fields written without their null branch."""
    schema = without_titles(schema)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: walk(_nullable(sub)) for name, sub in value.items()}
            else:
                out[key] = walk(value)
        return out

    return walk(schema)


def _loose(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """Describe the named sub-schemas in one line instead of field by field."""
    defs = schema.get("$defs", {})
    for name in names & defs.keys():
        defs[name] = {"type": "object", "description": defs[name].get("description", name)}
    return schema


def _without_orphans(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the sub-schemas nothing refers to any more (those only a loosened one used)."""
    defs = schema.get("$defs")
    if not defs:
        return schema
    used: set[str] = set()
    pending = [{k: v for k, v in schema.items() if k != "$defs"}]
    while pending:
        text = json.dumps(pending.pop())
        for name in defs.keys() - used:
            if f'"#/$defs/{name}"' in text:
                used.add(name)
                pending.append(defs[name])
    schema["$defs"] = {name: sub for name, sub in defs.items() if name in used}
    if not schema["$defs"]:
        del schema["$defs"]
    return schema


def _same_as(schema: dict[str, Any], tool: str) -> dict[str, Any]:
    """Point to another tool's output schema rather than repeat it."""
    description = schema.get("description", "")
    return {"type": "object", "description": f"{description} Fields as in {tool}'s output."}


def _drop_shared_descriptions(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for name, schema in ours.items():
        if name in theirs and schema.get("description") == theirs[name].get("description"):
            schema.pop("description", None)


def _without_repeats(
    parameters: dict[str, Any], model: dict[str, Any], tool: str
) -> dict[str, Any]:
    """Leave out the descriptions a parameter shares with the same parameter of another tool,
    and point a sub-schema both have (such as a variant) to that tool's."""
    _drop_shared_descriptions(parameters.get("properties", {}), model.get("properties", {}))
    defs = parameters.get("$defs", {})
    for name in defs.keys() & model.get("$defs", {}).keys():
        defs[name] = {"type": "object", "description": f"As {name} in {tool}."}
    return parameters


def compact_tool_schemas(server: MCPServer) -> None:
    """Shrink every tool's input and output schema in place."""
    tools = {tool.name: tool for tool in server._tool_manager.list_tools()}
    for tool in tools.values():
        tool.parameters = compact_output(tool.parameters)
    for name, model in SAME_INPUT.items():
        tools[name].parameters = _without_repeats(
            tools[name].parameters, tools[model].parameters, model
        )
    for tool in tools.values():
        schema = tool.fn_metadata.output_schema
        if schema is None:
            continue
        schema = _without_orphans(_loose(compact_output(schema), LOOSE_DEFS))
        if tool.name in SAME_OUTPUT:
            schema = _same_as(schema, SAME_OUTPUT[tool.name])
        tool.fn_metadata.output_schema = schema
        # Tool.output_schema is a cached_property over fn_metadata; drop a cached copy.
        tool.__dict__.pop("output_schema", None)
