from services.enrich.service import main

main()
