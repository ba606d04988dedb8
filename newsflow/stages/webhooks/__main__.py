from newsflow.stages.webhooks.service import main

main()
