import './panel.css';
import './login.css';
import './controls.css';
import './clusters.css';
import './widget.css';
import './dashboards.css';
import './celltags.css';
