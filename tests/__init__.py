"""The tests of cnnlib: a package, so that tests import ``tests.reference``."""
