from pydantic import Field

from newsflow.runtime.settings import CommonSettings


class FeedsSettings(CommonSettings):
    feeds_min_interval_s: float = Field(
        60, gt=0, description="No feed is polled more often than this, whatever its own interval says."
    )
    feeds_jitter: float = Field(0.1, ge=0, lt=1, description="An interval varies by this share at most.")
    feeds_max_backoff_s: float = Field(6 * 3600, gt=0, description="The longest wait after a feed's failures.")
    feeds_workers: int = Field(8, ge=1, le=256, description="Feeds polled at once.")
    feeds_per_host: int = Field(2, ge=1, description="Requests to one host at once, feeds and article pages together.")
    feeds_timeout_s: float = Field(20, gt=0, description="Time-out of a connection and of each read.")
    feeds_max_redirects: int = Field(5, ge=0)
    feeds_max_feed_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest feed document read.")
    feeds_max_page_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="Largest article page read.")
    feeds_full_text_words: int = Field(
        150, ge=1, description="An entry whose content has this many words is the article; else its page is fetched."
    )
    feeds_page_attempts: int = Field(
        3, ge=1, description="Polls that try an entry's page again after a failure that may pass, before its summary."
    )
    feeds_seen_kept: int = Field(2_000, ge=100, description="Entry keys remembered per feed.")
    feeds_allow_private: bool = Field(
        False,
        description="Read feeds and pages on loopback and private addresses too (an intranet's feeds, a test server).",
    )
    feeds_contact: str | None = Field(
        None, description="A URL or address put in the User-Agent, so a site's operator can reach whoever polls it."
    )
