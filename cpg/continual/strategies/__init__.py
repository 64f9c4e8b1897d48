"""The strategies, one file each; importing this package registers every one of them."""

from cpg.registry import import_package

import_package(__name__, __path__)
