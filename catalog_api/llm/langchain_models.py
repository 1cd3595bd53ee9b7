"""OpenAI, Anthropic and Google chat models through LangChain, as copy providers.

Needs the ``langchain`` extra. Only langchain-core is imported with this module; each
vendor integration (and its SDK) is imported when a model for that vendor is built.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import ModelConnectionError, ModelError, ModelRateLimitError
from langchain_core.exceptions import ModelTimeoutError as LangChainTimeoutError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from catalog_api.llm.base import Prompt, ProviderError
from catalog_api.llm.http_errors import http_library_errors

logger = logging.getLogger(__name__)

KNOWN_PROVIDERS: Final = ("openai", "anthropic", "google")
DEFAULT_TIMEOUT: Final = 20.0
# Settings that point a client at one vendor; never handed to a fallback on another vendor.
_VENDOR_BOUND_KWARGS: Final = frozenset({"api_key", "base_url"})
_STATUS_LABELS: Final = {429: "rate limited"}


class LLMFactory:
    """Build LangChain chat models with SDK retries off, so the copy chain owns retrying."""

    @staticmethod
    def create(provider: str, model: str, **kwargs: Any) -> BaseChatModel:
        """Build the chat model of provider ("openai", "anthropic" or "google") for model.

        kwargs: api_key, base_url (the vendor SDK's own base URL; OpenAI's ends in /v1),
        timeout in seconds (default DEFAULT_TIMEOUT); anything else goes to the model class,
        except that the retry setting is always forced off.
        """
        if provider not in KNOWN_PROVIDERS:
            raise ValueError(
                f"unknown LangChain provider {provider!r}; known: {', '.join(KNOWN_PROVIDERS)}"
            )
        params = dict(kwargs)
        params["model"] = model
        params["timeout"] = float(params.get("timeout") or DEFAULT_TIMEOUT)
        for name in ("api_key", "base_url"):
            if params.get(name) is None:
                # Absent rather than None, so the class keeps its own default.
                params.pop(name, None)
        if provider == "openai":
            from langchain_openai import ChatOpenAI

            # Fields: base_url -> openai_api_base, timeout -> request_timeout (seconds).
            return ChatOpenAI(**{**params, "max_retries": 0})
        if provider == "anthropic":
            from langchain_anthropic import ChatAnthropic

            # Fields: base_url -> anthropic_api_url, timeout -> default_request_timeout.
            return ChatAnthropic(**{**params, "max_retries": 0})
        from langchain_google_genai import ChatGoogleGenerativeAI

        # max_retries counts attempts: langchain-google-genai documents 0 as "the SDK's
        # default (5 attempts)" and 1 as one attempt. timeout is in seconds (sent as ms).
        return ChatGoogleGenerativeAI(**{**params, "max_retries": 1})

    @staticmethod
    def create_with_fallback(
        primary: str,
        fallback: str,
        model: str,
        *,
        fallback_model: str | None = None,
        fallback_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> FallbackChatModel:
        """Build a model that asks primary and, when that fails, fallback.

        kwargs configure the primary. The fallback gets fallback_kwargs on top of kwargs,
        but api_key and base_url cross over only when both providers are the same vendor.
        """
        shared = (
            dict(kwargs)
            if fallback == primary
            else {k: v for k, v in kwargs.items() if k not in _VENDOR_BOUND_KWARGS}
        )
        return FallbackChatModel(
            primary=LLMFactory.create(primary, model, **kwargs),
            fallback=LLMFactory.create(
                fallback, fallback_model or model, **{**shared, **(fallback_kwargs or {})}
            ),
        )


class FallbackChatModel(BaseChatModel):
    """A chat model that tries primary and, if it raises a provider error, fallback."""

    primary: BaseChatModel
    fallback: BaseChatModel

    @property
    def _llm_type(self) -> str:
        """Name this model type for LangChain's tracing."""
        return "fallback"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """Identify the model by the two it wraps."""
        return {"primary": self.primary._llm_type, "fallback": self.fallback._llm_type}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Answer with primary, or with fallback when primary fails."""
        # The wrapped models run through their public invoke, so their own caching, rate
        # limiting and output conversion apply; they trace as runs of their own.
        try:
            message = self.primary.invoke(messages, stop=stop, **kwargs)
        except _provider_errors() as exc:
            self._log_fallback(exc)
            message = self.fallback.invoke(messages, stop=stop, **kwargs)
        return _result(message)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Answer with primary, or with fallback when primary fails, without blocking."""
        try:
            message = await self.primary.ainvoke(messages, stop=stop, **kwargs)
        except _provider_errors() as exc:
            self._log_fallback(exc)
            message = await self.fallback.ainvoke(messages, stop=stop, **kwargs)
        return _result(message)

    async def aclose(self) -> None:
        """Close whichever of the two models hold their own connections."""
        await _aclose(self.primary)
        await _aclose(self.fallback)

    def _log_fallback(self, exc: BaseException) -> None:
        """Say which model failed and why, in the same short terms as ProviderError."""
        logger.warning(
            "primary %s model failed (%s); trying fallback %s",
            self.primary._llm_type,
            _failure_reason(exc),
            self.fallback._llm_type,
        )


async def _aclose(model: BaseChatModel) -> None:
    """Close a model's own HTTP clients, for the classes that have any.

    ChatGoogleGenerativeAI (and FallbackChatModel) have aclose(); ChatOpenAI and
    ChatAnthropic draw from process-wide cached clients that must stay open.
    """
    close = getattr(model, "aclose", None)
    if close is not None:
        await close()


def _result(message: AIMessage) -> ChatResult:
    """Wrap one reply as a chat result."""
    return ChatResult(generations=[ChatGeneration(message=message)])


class LangChainProvider:
    """A copy provider backed by any LangChain chat model, built on first use."""

    def __init__(
        self,
        *,
        name: str,
        chat_model: BaseChatModel | Callable[[], BaseChatModel],
        available: bool,
        timeout: float | None = None,
    ) -> None:
        self.name = name
        self.unavailable_reason = "not configured (no API key)"
        self._available = available
        self._timeout = timeout
        self._model: BaseChatModel | None = None
        self._factory: Callable[[], BaseChatModel] | None = None
        if isinstance(chat_model, BaseChatModel):
            self._model = chat_model
        else:
            self._factory = chat_model

    def available(self) -> bool:
        """Tell whether the provider has credentials."""
        return self._available

    async def aclose(self) -> None:
        """Release the chat model's connections, if it was built and holds any."""
        if self._model is not None:
            await _aclose(self._model)

    def _chat_model(self) -> BaseChatModel:
        """Return the chat model, building it on the first call."""
        if self._model is None:
            if self._factory is None:  # pragma: no cover - __init__ sets one of the two
                raise RuntimeError("no chat model")
            self._model = self._factory()
        return self._model

    async def generate(self, prompt: Prompt) -> str:
        """Send the system and user messages once; return the reply text or raise ProviderError."""
        if not self._available:
            raise ProviderError(self.unavailable_reason)
        messages = [SystemMessage(prompt.system), HumanMessage(prompt.user)]
        try:
            # The SDK timeouts bound each network phase; this bounds the whole call.
            async with asyncio.timeout(self._timeout):
                reply = await self._chat_model().ainvoke(messages)
        except _provider_errors() as exc:
            reason = _failure_reason(exc)
            logger.debug("%s failed with %s: %s", self.name, type(exc).__name__, reason)
            # from None: SDK messages can echo response bodies; the reason is all we keep.
            raise ProviderError(reason) from None
        text = reply.text
        if not text.strip():
            raise ProviderError("empty reply")
        return text


def langchain_provider(
    name: str, *, api_key: str | None, model: str, base_url: str | None, timeout: float
) -> LangChainProvider:
    """Build a provider; with a key its model is built now, so slow imports never eat a deadline."""

    def build() -> BaseChatModel:
        """Build the chat model; only called once a key is known to exist."""
        return LLMFactory.create(name, model, api_key=api_key, base_url=base_url, timeout=timeout)

    return LangChainProvider(
        name=name,
        chat_model=build() if api_key else build,
        available=bool(api_key),
        timeout=timeout,
    )


# Failures that mean "this provider failed", as opposed to a bug in our code. These
# builtins are how a 200 response of the wrong shape surfaces: the SDKs parse bodies
# without validating them, and the LangChain adapters then index into them (observed:
# JSONDecodeError and pydantic ValidationError, both ValueError; TypeError; IndexError;
# AttributeError; KeyError).
_SHAPE_ERRORS: Final = (ValueError, TypeError, KeyError, IndexError, AttributeError)


@functools.cache
def _provider_errors() -> tuple[type[BaseException], ...]:
    """Return the exception types that mean a provider failed, for the SDKs installed."""
    return (
        ModelError,
        TimeoutError,
        *_sdk_errors().base,
        *_SHAPE_ERRORS,
    )


def _failure_reason(exc: BaseException) -> str:
    """Map a provider failure to a short reason without server text or secrets."""
    sdk = _sdk_errors()
    chain = list(_causes(exc))
    for err in chain:
        status = _status_of(err, sdk.status)
        if status is not None:
            label = _STATUS_LABELS.get(status)
            return f"HTTP {status} ({label})" if label else f"HTTP {status}"
    if any(isinstance(err, ModelRateLimitError) for err in chain):
        return "HTTP 429 (rate limited)"
    if any(isinstance(err, (TimeoutError, LangChainTimeoutError, *sdk.timeout)) for err in chain):
        return "timeout"
    if any(isinstance(err, (ModelConnectionError, *sdk.connection)) for err in chain):
        return "connection failed"
    if any(isinstance(err, (*sdk.malformed, *_SHAPE_ERRORS)) for err in chain):
        return "malformed response"
    return f"request failed ({type(exc).__name__})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield exc and the exceptions it was raised from, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status_of(err: BaseException, status_types: Sequence[type[BaseException]]) -> int | None:
    """Return the HTTP status an SDK error carries, if it is one that carries it."""
    if not isinstance(err, tuple(status_types)):
        return None
    # openai/anthropic APIStatusError: status_code; google.genai.errors.APIError: code;
    # httpx HTTPStatusError: response.status_code.
    for value in (
        getattr(err, "status_code", None),
        getattr(err, "code", None),
        getattr(getattr(err, "response", None), "status_code", None),
    ):
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


class _SdkErrors:
    """The exception classes of whichever vendor SDKs and HTTP libraries are installed."""

    def __init__(self) -> None:
        self.base: list[type[BaseException]] = []
        self.status: list[type[BaseException]] = []
        self.timeout: list[type[BaseException]] = []
        self.connection: list[type[BaseException]] = []
        self.malformed: list[type[BaseException]] = []


@functools.cache
def _sdk_errors() -> _SdkErrors:
    """Collect the SDK exception classes once; a missing SDK just contributes none."""
    found = _SdkErrors()
    for loader in (
        _openai_errors,
        _anthropic_errors,
        _google_errors,
        _langchain_google_errors,
        _http_library_errors,
    ):
        try:
            loader(found)
        except ImportError:
            logger.debug("%s: SDK not installed", loader.__name__)
    return found


def _openai_errors(found: _SdkErrors) -> None:
    """Add the openai SDK's errors (langchain-openai's subclass them)."""
    import openai

    found.base.append(openai.OpenAIError)
    found.status.append(openai.APIStatusError)
    found.timeout.append(openai.APITimeoutError)
    found.connection.append(openai.APIConnectionError)
    found.malformed.append(openai.APIResponseValidationError)


def _anthropic_errors(found: _SdkErrors) -> None:
    """Add the anthropic SDK's errors (langchain-anthropic's subclass them)."""
    import anthropic

    found.base.append(anthropic.AnthropicError)
    found.status.append(anthropic.APIStatusError)
    found.timeout.append(anthropic.APITimeoutError)
    found.connection.append(anthropic.APIConnectionError)
    found.malformed.append(anthropic.APIResponseValidationError)


def _google_errors(found: _SdkErrors) -> None:
    """Add the google-genai SDK's errors; APIError carries the HTTP status as code."""
    from google.genai import errors

    found.base.append(errors.APIError)
    found.status.append(errors.APIError)


def _langchain_google_errors(found: _SdkErrors) -> None:
    """Add langchain-google-genai's error, which it raises from a 4xx SDK error."""
    from langchain_google_genai.chat_models import ChatGoogleGenerativeAIError

    found.base.append(ChatGoogleGenerativeAIError)


def _http_library_errors(found: _SdkErrors) -> None:
    """Add the HTTP libraries' errors (httpx, httpx2, aiohttp), which SDKs let out unwrapped."""
    errors = http_library_errors()
    found.base.extend(errors.any)
    found.status.extend(errors.status)
    found.timeout.extend(errors.timeout)
    found.connection.extend(errors.connection)
