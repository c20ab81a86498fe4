"""Prometheus metrics of the hub: counts and timings only, never a label naming a person.

Metrics are created per `HubMetrics` on the registry it is given, so that several servers
in one process (the tests) do not collide. With `PROMETHEUS_MULTIPROC_DIR` set, the
client library writes every process's values to files that `/metrics` adds up.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["HubMetrics"]

# From well under a millisecond (one process) to the 250 ms the benchmark calls too late.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class HubMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge(
            "entraide_connections_open", "Open websocket connections", registry=r, multiprocess_mode="livesum",
        )
        self.room_subscriptions = Gauge(
            "entraide_room_subscriptions", "Rooms with local members, per process (summed over processes)",
            registry=r, multiprocess_mode="livesum",
        )
        self.published = Counter("entraide_messages_published", "Messages stored and published", registry=r)
        self.deliveries = Counter("entraide_deliveries", "Frames handed to local members' send queues", registry=r)
        self.fanout_latency = Histogram(
            "entraide_fanout_latency_seconds", "From publication to the local members' send queues",
            buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.overflows = Counter(
            "entraide_send_queue_overflows", "Slow readers cut off (4009) when their send queue was full", registry=r,
        )
        self.check_seconds = Histogram(
            "entraide_check_pipeline_seconds", "Time of the moderation checks on one message",
            buckets=(0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01), registry=r,
        )
        self.queue_open = Gauge(
            "entraide_queue_items_open", "Unresolved moderation queue items, by priority (3 = crisis)",
            ["priority"], registry=r, multiprocess_mode="livemax",
        )
        self.second_readings = Counter(
            "entraide_crisis_second_readings", "Messages the crisis encoder read again", registry=r,
        )
        self.second_reading_seconds = Histogram(
            "entraide_crisis_second_reading_seconds", "From a message queued for the crisis encoder to its result",
            buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0), registry=r,
        )
        self.second_reading_backlog = Gauge(
            "entraide_crisis_second_reading_backlog", "Messages waiting for the crisis encoder",
            registry=r, multiprocess_mode="livesum",
        )
        self.second_reading_skipped = Counter(
            "entraide_crisis_second_reading_skipped",
            "Messages the crisis encoder could not read because its backlog was full (the fast reading stood)",
            registry=r,
        )
        self.second_reading_failures = Counter(
            "entraide_crisis_second_reading_failures", "Encoder batches that failed (the fast reading stood)",
            registry=r,
        )
        self.broker_reconnects = Counter(
            "entraide_broker_reconnects", "Times the broker connection was lost and re-established", registry=r,
        )
