"""Measured quality: retrieval on BEIR datasets, answers on question sets."""

from __future__ import annotations
