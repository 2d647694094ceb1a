"""Registers the entity or a regulator maintains: today, the register of qualified cloud providers."""
