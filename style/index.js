import './base.css';
import './widget.css';
import './dashboards.css';
import './celltags.css';
