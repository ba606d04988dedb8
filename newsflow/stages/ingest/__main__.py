from newsflow.stages.ingest.service import main

main()
