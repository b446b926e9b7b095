"""Stand-in for the Neuron compiler's Python package (neuronx-cc 2.21.33363.0, the version optimum-neuron
0.4.5 pins in its neuronx extra; it installs from the Neuron SDK's repository only). optimum-neuron reads
nothing from it but ``neuronxcc.__version__`` (optimum/neuron/utils/version_utils.py get_neuronxcc_version),
which goes into every neuron_config.json it writes."""

__version__ = "2.21.33363.0+ca8fd5c4"
