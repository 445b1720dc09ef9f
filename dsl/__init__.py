"""The peie rule language: grammar, typed AST, parser, checker."""
