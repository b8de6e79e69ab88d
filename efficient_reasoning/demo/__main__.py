from ..cli import command
from .cli import main

command(main)
