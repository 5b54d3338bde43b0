"""Link Warehouse: internal-link analytics as scheduled, tested data engineering."""

__version__ = "0.1.0"
