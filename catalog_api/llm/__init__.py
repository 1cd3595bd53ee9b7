"""AI product copy: providers, prompt, output validation and the fallback chain."""
