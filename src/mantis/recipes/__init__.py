"""Server-side recipes: a field schema plus the domain rules an inline `extract` block cannot carry."""
