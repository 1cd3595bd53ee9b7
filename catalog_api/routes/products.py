"""Product routes under /api/products."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.routing import Route

from catalog_api.access.scopes import Scope
from catalog_api.access.service import Caller
from catalog_api.deps import (
    ProductQueriesDep,
    ProductServiceDep,
    QueryReaderDep,
    ReadAccess,
    ReadProductServiceDep,
    ReadSessionDep,
    SettingsDep,
    WriteAccess,
    WriteLimit,
    check_scope,
    get_product_queries,
    presented_api_key,
)
from catalog_api.errors import PROBLEM_JSON
from catalog_api.models import ProductStatus
from catalog_api.query_reading import search_interpreted
from catalog_api.routes.params import (
    DYNAMIC_FILTERS_DOC,
    CursorParam,
    FacetsParam,
    FiltersDep,
    InterpretParam,
    LimitDep,
    OrderParam,
    explicit_parameters,
)
from catalog_api.schemas import (
    Page,
    Problem,
    ProductCreate,
    ProductOut,
    ProductReplace,
    ProductUpdate,
    SearchMode,
    SearchPage,
    SearchSortField,
    SlugList,
    SortField,
)
from catalog_api.services import ListQuery, SearchQuery
from catalog_api.services.idempotency import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    IdempotencyKey,
    caller_scope,
    request_fingerprint,
)


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """Serialise an already validated model once (FastAPI would validate it again)."""
    headers = {"ETag": model.etag} if isinstance(model, ProductOut) else None
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Only change the product if its ETag is one of these (or "*"); '
            "otherwise 412.",
        ),
    ] = None,
) -> frozenset[str] | None:
    """Parse If-Match into the set of entity tags it names (weak tags never match)."""
    if header is None:
        return None
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return frozenset(tag for tag in tags if tag == "*" or not tag.startswith("W/"))


IfMatchDep = Annotated[frozenset[str] | None, Depends(if_match)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description="A unique key per logical create (e.g. a UUID), printable ASCII without "
        "spaces; a retry with the same key and body returns the first response instead of "
        "creating again. Keys are kept for CATALOG_IDEMPOTENCY_TTL_SECONDS.",
    ),
]


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


INVALID: dict[int | str, dict[str, Any]] = {
    422: problem("Invalid input: `errors` names each field and why")
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("Unknown product"), **INVALID}
WRITE: dict[int | str, dict[str, Any]] = {
    401: problem("Missing or wrong X-API-Key (when the server sets CATALOG_API_KEY)"),
    429: problem("Too many writes from this client; wait Retry-After seconds"),
    **INVALID,
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: problem("Slug already in use, status change not allowed, or a concurrent change"),
    412: problem("If-Match did not match the product's current ETag"),
}

# Every product route reads; with CATALOG_READS_NEED_KEY that takes a key.
router = APIRouter(prefix="/api/products", tags=["products"], dependencies=[ReadAccess])

# products.id is a 32-bit INTEGER on PostgreSQL; a larger id would fail in the driver.
MAX_ID = 2**31 - 1
ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Numeric product id.")]


@router.get(
    "",
    response_model=Page[ProductOut],
    responses=INVALID,
    description="Browse products with filters, sorting and keyset pagination."
    + DYNAMIC_FILTERS_DOC,
)
async def list_products(
    service: ReadProductServiceDep,
    filters: FiltersDep,
    limit: LimitDep,
    cursor: CursorParam = None,
    sort: Annotated[SortField, Query(description="Sort field.")] = SortField.CREATED_AT,
    order: OrderParam = None,
    facets: FacetsParam = False,
) -> Page[ProductOut]:
    """Browse products with filters, sorting and keyset pagination."""
    query = ListQuery(
        filters=filters, sort=sort, order=order, limit=limit, cursor=cursor, facets=facets
    )
    return await service.browse(query)


@router.get(
    "/search",
    response_model=SearchPage,
    responses=INVALID,
    description="Ranked search that never demands every word; the answer says how the query "
    "was read." + DYNAMIC_FILTERS_DOC,
)
async def search_products(
    request: Request,
    service: ReadProductServiceDep,
    reader: QueryReaderDep,
    session: ReadSessionDep,
    filters: FiltersDep,
    limit: LimitDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description=(
                "Words to find in title, tags, category, attribute values, brand, option "
                "values and description. Products with more of the words (rarer ones count "
                "more, title above tags, brand and options above description) rank first; "
                "misspelt words are corrected from the catalog's own words. A query that is a "
                "whole SKU (`TEE-CREW-M-BLUE`, any case; not letters alone) puts the product "
                "with that variant first. Operators, quotes and wildcards are ignored."
            ),
            examples=["wireless headphones"],
        ),
    ],
    cursor: CursorParam = None,
    sort: Annotated[
        SearchSortField, Query(description="relevance (best first) or a field.")
    ] = SearchSortField.RELEVANCE,
    order: OrderParam = None,
    facets: FacetsParam = False,
    interpret: InterpretParam = False,
    mode: Annotated[
        SearchMode,
        Query(
            description="lexical (default): by words. semantic: by meaning, the 100 products "
            "nearest the query. hybrid: both, fused. semantic and hybrid need the semantic "
            "extra and `catalog-api embed` (else 422)."
        ),
    ] = SearchMode.LEXICAL,
) -> SearchPage:
    """Ranked search that never demands every word; the answer says how the query was read."""
    query = SearchQuery(
        q=q,
        filters=filters,
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursor,
        facets=facets,
        mode=mode,
    )
    if not interpret:
        return await service.search(query)
    explicit = explicit_parameters(request)
    reading = await reader.read(session, q, explicit, filters.currency)
    return await search_interpreted(service, reading, query)


@router.get("/slugs", response_model=SlugList, responses=INVALID)
async def list_slugs(
    service: ReadProductServiceDep,
    prefix: Annotated[
        str, Query(max_length=200, description="Start of the slug; empty lists from A.")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=100, description="Slugs to return, 1-100.")] = 100,
) -> SlugList:
    """List slugs that start with a prefix, A-Z: for completing a slug as it is typed."""
    return await service.slugs(prefix, limit)


@router.get("/by-slug/{slug}", response_model=ProductOut, responses=NOT_FOUND)
async def get_product_by_slug(
    queries: ProductQueriesDep,
    slug: Annotated[str, Path(max_length=200, description="The product's slug.")],
) -> Response:
    """Get a product by its slug."""
    return json_response(await queries.get_by_slug(slug))


@router.get("/{product_id:int}", response_model=ProductOut, responses=NOT_FOUND)
async def get_product(queries: ProductQueriesDep, product_id: ProductId) -> Response:
    """Get a product by id."""
    return json_response(await queries.get(product_id))


async def _get_product_fast(request: Request) -> Response:
    await check_scope(request, Scope.READ)
    product_id: int = request.path_params["product_id"]
    if not 1 <= product_id <= MAX_ID:
        raise RequestValidationError(
            [
                {
                    "loc": ("path", "product_id"),
                    "msg": f"must be 1 to {MAX_ID}",
                    "type": "value_error",
                }
            ]
        )
    return json_response(await (await get_product_queries(request)).get(product_id))


def add_fast_routes(app: FastAPI) -> None:
    """Serve GET by id through a plain route in front of the documented one."""
    # Same query and JSON, minus FastAPI's per-request dependency solving, which costs
    # several times the lookup itself (see bench/RESULTS.md).
    route = Route("/api/products/{product_id:int}", _get_product_fast, methods=["GET"])
    app.router.routes.insert(0, route)


@router.post(
    "",
    response_model=ProductOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[WriteAccess, WriteLimit],
    responses={**WRITE, **CONFLICT},
)
async def create_product(
    service: ProductServiceDep,
    settings: SettingsDep,
    body: ProductCreate,
    request: Request,
    key: IdempotencyKeyHeader = None,
) -> Response:
    """Create a product; the slug is derived from the title when omitted.

    With CATALOG_AGENT_WRITES_AS_DRAFT set, a product created with a named key that is not
    admin starts as a draft whatever its status says.

    Send an `Idempotency-Key` to make retries safe: a repeat with the same key and body
    returns the first response (with `Idempotent-Replayed: true`) and creates nothing.
    """
    idempotency = None
    if key is not None:
        idempotency = IdempotencyKey(
            scope=caller_scope(presented_api_key(request)),
            key=key,
            fingerprint=request_fingerprint("POST /api/products", body.model_dump(mode="json")),
            ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
        )
    if settings.agent_writes_as_draft and _is_agent(request):
        body = body.model_copy(update={"status": ProductStatus.DRAFT})
    created = await service.create(body, idempotency=idempotency)
    response = json_response(created.product, status.HTTP_201_CREATED)
    # Relative, from the route table: the client's Host header must not pick where it points.
    path = request.app.url_path_for("get_product", product_id=created.product.id)
    response.headers["Location"] = request.scope.get("root_path", "") + str(path)
    if created.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return response


def _is_agent(request: Request) -> bool:
    """Tell whether the request came with a named key that is not an admin's."""
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller is not None and caller.name is not None and Scope.ADMIN not in caller.scopes


@router.patch(
    "/{product_id:int}",
    response_model=ProductOut,
    dependencies=[WriteAccess, WriteLimit],
    responses={**WRITE, **NOT_FOUND, **CONFLICT},
)
async def update_product(
    service: ProductServiceDep, product_id: ProductId, body: ProductUpdate, match: IfMatchDep
) -> Response:
    """Change some fields of a product; omitted fields stay as they are."""
    return json_response(await service.update(product_id, body, if_match=match))


@router.put(
    "/{product_id:int}",
    response_model=ProductOut,
    dependencies=[WriteAccess, WriteLimit],
    responses={**WRITE, **NOT_FOUND, **CONFLICT},
)
async def replace_product(
    service: ProductServiceDep, product_id: ProductId, body: ProductReplace, match: IfMatchDep
) -> Response:
    """Replace a product: omitted fields take their defaults; an omitted slug is kept."""
    return json_response(await service.replace(product_id, body, if_match=match))


@router.delete(
    "/{product_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteAccess, WriteLimit],
    responses={**WRITE, **NOT_FOUND, 412: CONFLICT[412]},
)
async def delete_product(
    service: ProductServiceDep, product_id: ProductId, match: IfMatchDep
) -> None:
    """Delete a product."""
    await service.delete(product_id, if_match=match)
