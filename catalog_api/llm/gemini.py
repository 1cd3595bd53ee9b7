"""Google Gemini provider on the google-genai SDK (async, one attempt, bounded time)."""

from __future__ import annotations

import asyncio
import json
import logging

import pydantic
from google import genai
from google.genai import errors, types

from catalog_api.llm.base import Prompt, ProviderError
from catalog_api.llm.http_errors import http_failure_reason, http_library_errors

logger = logging.getLogger(__name__)

# Thinking tokens of Gemini 2.5+ count against this cap, so it leaves room beyond the ~300
# tokens the copy itself needs; a reply cut short surfaces as "empty reply (MAX_TOKENS)".
MAX_OUTPUT_TOKENS = 2048
TEMPERATURE = 0.4

# What the SDK lets out when the request never got an HTTP answer; asyncio's own timeout too.
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, *http_library_errors().any)
_STATUS_LABELS = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "model not found",
    429: "rate limited",
}
_BLOCKING_FINISH_REASONS = frozenset(
    {
        types.FinishReason.SAFETY,
        types.FinishReason.RECITATION,
        types.FinishReason.BLOCKLIST,
        types.FinishReason.PROHIBITED_CONTENT,
        types.FinishReason.SPII,
        types.FinishReason.LANGUAGE,
    }
)


class GeminiProvider:
    """Product copy from the Gemini Developer API."""

    name = "gemini"

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str = "gemini-2.5-flash",
        base_url: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        """Build the SDK client now (it reads CA certificates), not inside the event loop."""
        self._api_key = api_key or None
        self._model = model
        self._timeout = timeout
        self._client: genai.Client | None = None
        if self._api_key is not None:
            http_options = types.HttpOptions(
                base_url=base_url,
                timeout=max(1, round(timeout * 1000)),  # the SDK takes milliseconds
                # attempts=1 means exactly one request: the fallback chain, not the SDK,
                # decides what happens after a failure (the SDK default is 5 attempts).
                retry_options=types.HttpRetryOptions(attempts=1),
            )
            # vertexai=False keeps GOOGLE_GENAI_USE_VERTEXAI in the environment from
            # switching this client to another backend.
            self._client = genai.Client(
                api_key=self._api_key, vertexai=False, http_options=http_options
            )

    def available(self) -> bool:
        """Tell whether an API key is configured."""
        return self._api_key is not None

    async def aclose(self) -> None:
        """Release the SDK's HTTP connections."""
        if self._client is not None:
            await self._client.aio.aclose()

    async def generate(self, prompt: Prompt) -> str:
        """Send the prompt once and return the model's text; raise ProviderError on failure."""
        if self._client is None:
            raise ProviderError("no api key")
        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            response_mime_type="application/json",
            temperature=TEMPERATURE,
            max_output_tokens=MAX_OUTPUT_TOKENS,
        )
        try:
            # The SDK's timeout bounds each network phase; this bounds the whole call.
            async with asyncio.timeout(self._timeout):
                response = await self._client.aio.models.generate_content(
                    model=self._model, contents=prompt.user, config=config
                )
        except errors.APIError as exc:
            raise self._fail(_http_reason(exc.code)) from None
        except _TRANSPORT_ERRORS as exc:
            raise self._fail(http_failure_reason(exc)) from None
        except (json.JSONDecodeError, errors.UnknownApiResponseError):
            raise self._fail("malformed response: not JSON") from None
        except pydantic.ValidationError:
            raise self._fail("malformed response: unexpected fields") from None
        except (TypeError, AttributeError, KeyError):
            # The SDK's response converters index the parsed JSON without checking its
            # shape, so a body of the wrong shape (a list, a string) fails in them like this.
            raise self._fail("malformed response: unexpected shape") from None
        return self._text_of(response)

    def _text_of(self, response: types.GenerateContentResponse) -> str:
        """Return the first candidate's text, or explain why there is none."""
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            raise self._fail(f"blocked: {_enum_name(feedback.block_reason)}")
        candidate = response.candidates[0] if response.candidates else None
        finish = candidate.finish_reason if candidate is not None else None
        if finish in _BLOCKING_FINISH_REASONS:
            raise self._fail(f"blocked: {_enum_name(finish)}")
        text = response.text
        if finish == types.FinishReason.MAX_TOKENS:
            # Cut-off JSON is useless; say why rather than hand it on.
            raise self._fail("empty reply (MAX_TOKENS)" if not text else "truncated (MAX_TOKENS)")
        if not text or not text.strip():
            raise self._fail("empty reply")
        return text

    def _fail(self, reason: str) -> ProviderError:
        """Log and build the error; the reason is fixed text, never server or key content."""
        logger.warning("gemini model %s failed: %s", self._model, reason)
        return ProviderError(reason)


def _http_reason(code: int | None) -> str:
    """Name an HTTP failure by status only, since error bodies may echo request data."""
    if not code:
        return "HTTP error"
    label = _STATUS_LABELS.get(code)
    return f"HTTP {code} ({label})" if label else f"HTTP {code}"


def _enum_name(value: object) -> str:
    """Render an SDK enum (or an unknown raw value) as its short name."""
    name = getattr(value, "name", None)
    return str(name if isinstance(name, str) else value)[:40]
