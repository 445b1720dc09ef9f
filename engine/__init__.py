"""peie (配额): a rules-as-data engine for free carbon-allowance allocation."""
