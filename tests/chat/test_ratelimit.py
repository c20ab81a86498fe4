"""Token buckets and sliding windows, on an injected clock."""

from __future__ import annotations

from chat.ratelimit import TokenBucket, WindowCounter


def test_a_burst_is_allowed_then_the_rate_applies():
    """Five at once, then the sixth waits one second at 1/s."""
    bucket = TokenBucket(5, 1.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(5)] == [0.0] * 5
    assert bucket.take(0.0) == 1.0
    assert bucket.take(1.0) == 0.0


def test_tokens_never_exceed_the_burst():
    """An hour of silence still allows only a burst."""
    bucket = TokenBucket(2, 1.0, now=0.0)
    assert bucket.take(3600) == 0.0 and bucket.take(3600) == 0.0 and bucket.take(3600) > 0


def test_the_window_counts_only_recent_events():
    """Twenty events in the window are allowed, the twenty-first is not; old ones fall out."""
    window = WindowCounter(20, 60.0)
    assert not any(window.hit(float(i)) for i in range(20))
    assert window.hit(20.0)
    assert not WindowCounter(1, 60.0).hit(0.0)
    late = WindowCounter(1, 60.0)
    late.hit(0.0)
    assert not late.hit(61.0)
