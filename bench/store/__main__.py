from bench.store.run import main

raise SystemExit(main())
