from bench.fanout.run import main

raise SystemExit(main())
