"""Test set-up: use every host core as a JAX device, like the command-line tools."""
from lamsim.runtime.devices import use_all_host_cores

use_all_host_cores()
