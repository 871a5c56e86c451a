"""
The bundled Python runtime client's entry (the environment's script): the client itself is
hearth_runtime.py, a module, so that Python keeps its compiled bytecode in __pycache__ (a
script is compiled again at every start). Nothing else here: the module does the rest.
"""

import hearth_runtime

hearth_runtime.main()
