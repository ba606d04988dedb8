from newsflow.stages.index.service import main

main()
