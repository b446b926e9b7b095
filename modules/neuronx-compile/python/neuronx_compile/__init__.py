"""Compiles a Hugging Face causal LM with transformers-neuronx and publishes it to S3.

Runs on the NeuronxCompile instance, inside the serving container image, so the
compiled NEFFs match the runtime that serves them. See ``main.run`` for the phases.
"""
