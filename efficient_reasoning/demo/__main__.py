from ..cli import command
from .run import main

command(main)
