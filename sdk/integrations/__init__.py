"""Training-framework integrations: Hugging Face Transformers, PyTorch Lightning, Keras.

Each module imports its framework when imported itself, so ``provgraph.sdk`` never needs
one; install a framework with ``pip install 'provgraph[huggingface]'`` (``lightning``,
``keras``, or ``integrations`` for all three).
"""
