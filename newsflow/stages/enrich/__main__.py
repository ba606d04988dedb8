from newsflow.stages.enrich.service import main

main()
