"""Amazon Bedrock (Anthropic models) through boto3, run off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, ParamSpec

import boto3.session
import urllib3.exceptions
from botocore.config import Config
from botocore.eventstream import ParserError as EventStreamParserError
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EventStreamError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError as BotoHTTPClientError
from botocore.exceptions import ReadTimeoutError as BotoReadTimeoutError
from botocore.parsers import ResponseParserError

from catalog_api.llm.base import Prompt, ProviderError

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime.client import BedrockRuntimeClient

    from catalog_api.config import Settings

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")

ANTHROPIC_VERSION: Final = "bedrock-2023-05-31"
DEFAULT_MODEL_ID: Final = "anthropic.claude-sonnet-4-20250514-v1:0"
GUARDRAIL_ACTION_FIELD: Final = "amazon-bedrock-guardrailAction"
# InvokeModel reports "INTERVENED"; ApplyGuardrail spells it "GUARDRAIL_INTERVENED".
_INTERVENED: Final = frozenset({"INTERVENED", "GUARDRAIL_INTERVENED"})

# HTTP statuses of the exceptions that can arrive inside an event stream (service model).
_STREAM_EXCEPTION_STATUS: Final = {
    "throttlingException": 429,
    "internalServerException": 500,
    "serviceUnavailableException": 503,
    "modelTimeoutException": 408,
    "modelStreamErrorException": 424,
    "validationException": 400,
}

# What one call can raise, mapped by _reason(). BotoCoreError is the SDK's own base class:
# catching it (not Exception) turns an unforeseen SDK failure into a short reason instead of
# letting its message escape; urllib3 errors surface raw while the event stream is read.
_CALL_ERRORS: Final = (
    ClientError,
    BotoCoreError,
    urllib3.exceptions.HTTPError,
    EventStreamParserError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


def _status_reason(status: int) -> str:
    """Render an HTTP status as a short reason."""
    return "HTTP 429 (throttled)" if status == 429 else f"HTTP {status}"


def _reason(exc: BaseException) -> str:
    """Map a boto3/botocore failure to a short reason that carries no secret."""
    if isinstance(exc, EventStreamError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = _STREAM_EXCEPTION_STATUS.get(code)
        return _status_reason(status) if status else "stream error"
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ThrottlingException":
            status = 429
        return _status_reason(status) if isinstance(status, int) else "request failed"
    if isinstance(
        exc, BotoReadTimeoutError | ConnectTimeoutError | urllib3.exceptions.TimeoutError
    ):
        return "timeout"
    if isinstance(exc, BotoConnectionError | BotoHTTPClientError | urllib3.exceptions.HTTPError):
        return "connection error"
    if isinstance(
        exc,
        EventStreamParserError | ResponseParserError | json.JSONDecodeError | UnicodeDecodeError,
    ):
        return "malformed response"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "no credentials"
    return "request failed"


def _request_body(prompt: Prompt, max_tokens: int) -> bytes:
    """Build the Anthropic Messages body that Bedrock expects."""
    body = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": max_tokens,
        "system": prompt.system,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt.user}]}],
    }
    return json.dumps(body).encode()


def _check_guardrail(data: dict[str, Any]) -> None:
    """Raise when Bedrock says the guardrail intervened."""
    if data.get(GUARDRAIL_ACTION_FIELD) in _INTERVENED:
        raise ProviderError("blocked by guardrail")


def _message_text(data: Any) -> str:
    """Extract the text blocks of an Anthropic Messages reply."""
    if not isinstance(data, dict):
        raise ProviderError("malformed response")
    _check_guardrail(data)
    content = data.get("content")
    if not isinstance(content, list):
        raise ProviderError("malformed response")
    return "".join(
        block["text"]
        for block in content
        if isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
    )


def _delta_text(event: Any) -> str:
    """Extract the text of one streamed Anthropic event ('' for other event types)."""
    if not isinstance(event, dict):
        raise ProviderError("malformed response")
    _check_guardrail(event)
    if event.get("type") != "content_block_delta":
        return ""
    delta = event.get("delta")
    if not isinstance(delta, dict):
        raise ProviderError("malformed response")
    text = delta.get("text")
    if delta.get("type") != "text_delta" or not isinstance(text, str):
        return ""
    return text


def _non_empty(text: str) -> str:
    """Refuse a blank reply."""
    if not text.strip():
        raise ProviderError("empty reply")
    return text


class BedrockClient:
    """One bedrock-runtime client with SDK retries off; blocking calls run in a thread."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        model_id: str = DEFAULT_MODEL_ID,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 20,
    ) -> None:
        """Create the client; without explicit credentials none is created (no default chain)."""
        self.region = region
        self.model_id = model_id
        self.endpoint_url = endpoint_url
        self.config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # Pinned so AWS_DEFAULTS_MODE=auto cannot query instance metadata for the region.
            # (The installed botocore-stubs lag botocore: they type this as bool and lack
            # auth_scheme_preference, hence the two ignores.)
            defaults_mode="legacy",  # type: ignore[arg-type]
            # Pinned so an AWS_BEARER_TOKEN_BEDROCK in the environment cannot switch auth.
            auth_scheme_preference="sigv4",  # type: ignore[call-arg]
        )
        self._client: BedrockRuntimeClient | None = None
        if access_key_id and secret_access_key:
            # Explicit keys bypass botocore's credential chain, so nothing probes the
            # network (e.g. the EC2 metadata service) for credentials.
            self._client = boto3.session.Session().client(
                "bedrock-runtime",
                region_name=region,
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                aws_session_token=session_token or None,
                config=self.config,
            )

    @property
    def has_credentials(self) -> bool:
        """Tell whether explicit credentials were given (decided locally, no network)."""
        return self._client is not None

    def close(self) -> None:
        """Release the client's pooled connections."""
        if self._client is not None:
            self._client.close()

    def _require_client(self) -> BedrockRuntimeClient:
        """Return the client or fail when no credentials were configured."""
        if self._client is None:
            raise ProviderError("no credentials")
        return self._client

    async def invoke_stream(self, prompt: Prompt, max_tokens: int = 1024) -> str:
        """Stream a reply and return the concatenated text deltas."""
        client = self._require_client()
        body = _request_body(prompt, max_tokens)
        return await self._call(self._stream_sync, client, body)

    async def invoke_with_guardrails(
        self,
        prompt: Prompt,
        guardrail_id: str,
        guardrail_version: str = "DRAFT",
        max_tokens: int = 1024,
    ) -> str:
        """Invoke with a guardrail and return the reply text; refuse an intervened reply."""
        client = self._require_client()
        body = _request_body(prompt, max_tokens)
        return await self._call(self._guarded_sync, client, body, guardrail_id, guardrail_version)

    async def _call(self, func: Callable[_P, str], /, *args: _P.args, **kwargs: _P.kwargs) -> str:
        """Run a blocking call in a thread, mapping SDK failures to ProviderError."""
        try:
            result = await asyncio.to_thread(func, *args, **kwargs)
        except _CALL_ERRORS as exc:
            reason = _reason(exc)
            logger.warning("bedrock call failed: %s (%s)", reason, type(exc).__name__)
            raise ProviderError(reason) from exc
        return result

    def _stream_sync(self, client: BedrockRuntimeClient, body: bytes) -> str:
        """Call InvokeModelWithResponseStream and consume the whole event stream."""
        response = client.invoke_model_with_response_stream(
            modelId=self.model_id,
            body=body,
            contentType="application/json",
            accept="application/json",
        )
        stream = response["body"]
        parts: list[str] = []
        try:
            for event in stream:
                chunk = event.get("chunk")
                if chunk is None:
                    continue
                parts.append(_delta_text(json.loads(chunk.get("bytes", b""))))
        finally:
            stream.close()
        return _non_empty("".join(parts))

    def _guarded_sync(
        self, client: BedrockRuntimeClient, body: bytes, guardrail_id: str, guardrail_version: str
    ) -> str:
        """Call InvokeModel with a guardrail and read the whole reply."""
        response = client.invoke_model(
            modelId=self.model_id,
            body=body,
            contentType="application/json",
            accept="application/json",
            guardrailIdentifier=guardrail_id,
            guardrailVersion=guardrail_version,
            # The action field is in the body either way; a trace would echo the
            # filtered (possibly personal) content back, which nothing here needs.
            trace="DISABLED",
        )
        streaming_body = response["body"]
        try:
            raw = streaming_body.read()
        finally:
            streaming_body.close()
        return _non_empty(_message_text(json.loads(raw)))


class BedrockProvider:
    """The Provider protocol over Bedrock: guardrailed InvokeModel or a streamed reply."""

    name = "bedrock"

    def __init__(
        self,
        client: BedrockClient,
        *,
        guardrail_id: str | None = None,
        guardrail_version: str = "DRAFT",
        max_tokens: int = 1024,
    ) -> None:
        """Wrap a client, optionally applying a guardrail to every call."""
        self.client = client
        self.guardrail_id = guardrail_id or None
        self.guardrail_version = guardrail_version
        self.max_tokens = max_tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockProvider:
        """Build the provider from the app settings (explicit credentials only)."""
        secret = settings.aws_secret_access_key
        token = settings.aws_session_token
        client = BedrockClient(
            region=settings.bedrock_region,
            model_id=settings.bedrock_model,
            endpoint_url=settings.bedrock_endpoint_url,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            session_token=token.get_secret_value() if token else None,
            connect_timeout=min(5.0, settings.llm_timeout),
            read_timeout=settings.llm_timeout,
        )
        return cls(
            client,
            guardrail_id=settings.bedrock_guardrail_id,
            guardrail_version=settings.bedrock_guardrail_version,
        )

    def available(self) -> bool:
        """Tell whether explicit AWS credentials are configured; never probes the network."""
        return self.client.has_credentials

    async def generate(self, prompt: Prompt) -> str:
        """Return the model's reply text; raise ProviderError on failure."""
        if self.guardrail_id:
            return await self.client.invoke_with_guardrails(
                prompt, self.guardrail_id, self.guardrail_version, self.max_tokens
            )
        return await self.client.invoke_stream(prompt, self.max_tokens)
