from services.index.service import main

main()
