"""Reference implementations, one paper per module; builders are listed by [`paperzoo.list_models`][paperzoo.list_models]."""
