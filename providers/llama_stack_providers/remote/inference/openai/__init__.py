"""``remote::openai``: any OpenAI-compatible endpoint (OpenAI itself, gateways, another Llama Stack)."""
