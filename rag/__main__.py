from rag.app.cli import main

main(prog_name="rag")
