"""``python -m llama_stack.cli``: the same command line as the ``llama-stack`` script."""

from ._app import main

if __name__ == "__main__":
    main()
