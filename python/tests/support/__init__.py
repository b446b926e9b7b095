"""Test support: the AWS emulator, a Hugging Face Hub emulator, and the Neuron stand-in."""
