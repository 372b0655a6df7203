"""Practice recommendations: deterministic, explainable suggestions of what to practise next."""
