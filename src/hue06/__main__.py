from hue06.cli import main

main()
