"""The websocket hub: sessions, protocol, rooms of a process, fan-out through a broker."""
