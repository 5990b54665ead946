"""New models: the OpenRouter catalog and direct providers' listings, matched to the IDs providers
really use, added to the registry as disabled candidates by a human."""
