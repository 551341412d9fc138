from wardmap.cli import main

main()
