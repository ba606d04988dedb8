from newsflow.stages.feeds.service import main

main()
