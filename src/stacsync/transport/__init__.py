"""The one HTTP layer of stacsync: per-provider sessions with rate limits, tokens and retries."""

from stacsync.transport.auth import authorizer_for, open_provider
from stacsync.transport.body import decode_json
from stacsync.transport.credentials import ProviderConfig, ServiceKey, load_provider_configs
from stacsync.transport.ratelimit import HostLimiter, Limiters, RateWindow, minimum_duration
from stacsync.transport.retry import RetryPolicy, parse_retry_after
from stacsync.transport.session import ProviderSession

__all__ = [
    "HostLimiter",
    "Limiters",
    "ProviderConfig",
    "ProviderSession",
    "RateWindow",
    "RetryPolicy",
    "ServiceKey",
    "authorizer_for",
    "decode_json",
    "load_provider_configs",
    "minimum_duration",
    "open_provider",
    "parse_retry_after",
]
