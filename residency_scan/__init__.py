"""residency-scan: does an organisation's sensitive processing stay on Moroccan soil?"""

__version__ = "0.1.0"
