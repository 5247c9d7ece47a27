"""The realistic demo company: generated deterministically from a seed."""

from cxgap.demo.generator import DemoData, generate_demo

__all__ = ["DemoData", "generate_demo"]
